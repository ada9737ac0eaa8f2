import { Token } from "cdktf";
import { MEMBER_TYPES_HINT, memberProblem } from "./validation";

/** An identity IAM can grant roles to, as the IAM member string (`serviceAccount:…`, `group:…`). */
export interface IPrincipal {
  /** The IAM member, e.g. `serviceAccount:worker@p.iam.gserviceaccount.com`. */
  readonly iamMember: string;
}

/**
 * Anything that can be granted access: a construct that runs as its own service account
 * (`SsePublisherService`, `PubSubToBigQueryJob`, `ScheduledQuery`, a BigQuery subscription), or a
 * {@link Principal} for identities created elsewhere. Every `grant*` method takes one.
 */
export interface IGrantable {
  /** The identity the grant goes to. */
  readonly grantPrincipal: IPrincipal;
}

/**
 * Identities created outside the library, for `grant*` methods.
 *
 * @example
 * reporting.grantRead(Principal.group("analysts@example.com"));
 * topic.grantPublish(Principal.serviceAccount(publisherEmail));
 */
export class Principal implements IPrincipal, IGrantable {
  /** A service account by email. */
  public static serviceAccount(email: string): Principal {
    return new Principal(`serviceAccount:${email}`);
  }
  /** A Google group by email. */
  public static group(email: string): Principal {
    return new Principal(`group:${email}`);
  }
  /** A user by email. */
  public static user(email: string): Principal {
    return new Principal(`user:${email}`);
  }
  /**
   * Any IAM member string with its type prefix (`serviceAccount:`, `user:`, `group:`, `domain:`,
   * `principal:`, `principalSet:`). Public members (`allUsers`, `allAuthenticatedUsers`) are refused.
   */
  public static fromMember(member: string): Principal {
    const problem = Token.isUnresolved(member) ? undefined : memberProblem(member);
    if (problem === "public") {
      throw new Error(`Principal: refusing the public member "${member}"; grant access to specific principals only`);
    }
    if (problem === "untyped") throw new Error(`Principal: "${member}" is not an IAM member; ${MEMBER_TYPES_HINT}`);
    return new Principal(member);
  }

  public readonly grantPrincipal: IPrincipal = this;

  private constructor(public readonly iamMember: string) {}
}
