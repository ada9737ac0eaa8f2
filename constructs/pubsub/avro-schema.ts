/**
 * Pub/Sub Avro schemas generated from a table schema: the library's name for the ground floor's
 * `schemas/avro.ts` (pure, also imported by the worker, which publishes Avro JSON with it).
 */
export { avroDefinitionFromTableSchema, avroSchemaFromTableSchema, encodeAvroJson } from "../../schemas/avro";
export type { AvroField, AvroRecord, AvroSchemaOptions, AvroType } from "../../schemas/avro";
