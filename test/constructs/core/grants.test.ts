import { Construct } from "constructs";
import { PubsubTopicIamMember } from "@cdktf/provider-google/lib/pubsub-topic-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { grantOnce } from "../../../constructs/core/grants";
import { IGrantable, IPrincipal, Principal } from "../../../constructs/core/principal";
import { newStack, PROJECT, resources, synthStack } from "../../support";

/** A topic binding made the way every grant* method makes one. */
function grantPublish(scope: Construct, grantee: IGrantable, role = "roles/pubsub.publisher") {
  return grantOnce(
    scope,
    role,
    grantee,
    (id, member) => new PubsubTopicIamMember(scope, id, { project: PROJECT, topic: "events", role, member }),
  );
}

/** A construct with its own service account, as SsePublisherService or ScheduledQuery are. */
class Worker extends Construct implements IGrantable {
  public readonly grantPrincipal: IPrincipal;
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const account = new ServiceAccount(this, "sa", { accountId: `${id}-worker` });
    this.grantPrincipal = Principal.serviceAccount(account.email);
  }
}

describe("grantOnce", () => {
  test("granting the same role to the same grantee twice makes one binding", () => {
    const stack = newStack();
    const topic = new Construct(stack, "topic");
    const analysts = Principal.group("analysts@example.com");
    const first = grantPublish(topic, analysts);
    expect(grantPublish(topic, Principal.group("analysts@example.com"))).toBe(first);
    expect(resources(synthStack(stack), "google_pubsub_topic_iam_member")).toHaveLength(1);
  });

  test("grantees whose member is a token are told apart by their construct path", () => {
    const stack = newStack();
    const topic = new Construct(stack, "topic");
    const a = new Worker(stack, "alpha");
    const b = new Worker(stack, "bravo");
    const first = grantPublish(topic, a);
    expect(grantPublish(topic, a)).toBe(first);
    expect(grantPublish(topic, b)).not.toBe(first);
    const bindings = resources(synthStack(stack), "google_pubsub_topic_iam_member");
    expect(bindings.map((b) => b.member).sort()).toEqual([
      expect.stringMatching(/^serviceAccount:\$\{google_service_account\.alpha_sa_[0-9A-F]+\.email\}$/),
      expect.stringMatching(/^serviceAccount:\$\{google_service_account\.bravo_sa_[0-9A-F]+\.email\}$/),
    ]);
  });

  test("one id scheme: grant-<role>-<hash of the grantee>, stable across runs", () => {
    const ids = () => {
      const stack = newStack();
      const topic = new Construct(stack, "topic");
      return [grantPublish(topic, Principal.user("a@example.com")), grantPublish(topic, new Worker(stack, "w"))].map(
        (r) => r.node.id,
      );
    };
    const first = ids();
    expect(first[0]).toMatch(/^grant-publisher-[0-9a-f]{10}$/);
    expect(ids()).toEqual(first);
  });

  test("refuses public members, naming the construct", () => {
    const stack = newStack();
    const topic = new Construct(stack, "topic");
    const everyone: IGrantable = { grantPrincipal: { iamMember: "allUsers" } };
    expect(() => grantPublish(topic, everyone)).toThrow(/test\/topic: refusing to grant access to "allUsers"/);
    expect(() => grantPublish(topic, { grantPrincipal: { iamMember: "allAuthenticatedUsers" } })).toThrow(/public/);
  });

  test("refuses members without a type prefix", () => {
    const topic = new Construct(newStack(), "topic");
    expect(() => grantPublish(topic, { grantPrincipal: { iamMember: "someone@example.com" } })).toThrow(
      /test\/topic: IAM member "someone@example.com" is not an IAM member; expected one of user:…/,
    );
  });

  test("refuses basic roles", () => {
    const topic = new Construct(newStack(), "topic");
    for (const role of ["roles/owner", "roles/editor", "roles/viewer"]) {
      expect(() => grantPublish(topic, Principal.group("g@example.com"), role)).toThrow(
        new RegExp(`test/topic: refusing to grant the basic role ${role}`),
      );
    }
  });

  test("refuses something that is not a grantee", () => {
    const topic = new Construct(newStack(), "topic");
    expect(() => grantPublish(topic, "serviceAccount:x@p.iam.gserviceaccount.com" as unknown as IGrantable)).toThrow(
      /test\/topic: a grant needs an IGrantable/,
    );
  });
});

describe("Principal", () => {
  test("builds typed members", () => {
    expect(Principal.serviceAccount("sa@p.iam.gserviceaccount.com").iamMember).toBe(
      "serviceAccount:sa@p.iam.gserviceaccount.com",
    );
    expect(Principal.group("g@example.com").grantPrincipal.iamMember).toBe("group:g@example.com");
    expect(Principal.fromMember("domain:example.com").iamMember).toBe("domain:example.com");
  });

  test("refuses public and untyped members", () => {
    expect(() => Principal.fromMember("allUsers")).toThrow(/refusing the public member "allUsers"/);
    expect(() => Principal.fromMember("allAuthenticatedUsers")).toThrow(/public member/);
    expect(() => Principal.fromMember("alice@example.com")).toThrow(/"alice@example.com" is not an IAM member/);
  });
});
