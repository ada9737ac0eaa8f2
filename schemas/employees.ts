import { TableSchema } from "./table-schema";

/** CDC example: rows upserted and deleted through the Storage Write API. */
export const EMPLOYEES_SCHEMA = new TableSchema(
  [
    { name: "id", type: "INT64", mode: "REQUIRED", description: "employee id; the primary key" },
    { name: "name", type: "STRING", description: "full name" },
    { name: "salary", type: "NUMERIC", description: "yearly salary" },
  ],
  { name: "employees" },
);
