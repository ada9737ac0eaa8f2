import { PolicyAspect, PolicyFinding } from "./policy-aspect";
import { block, isKnown, PolicyResource } from "./resource-attributes";
import { rulesOf } from "./rules";

/** Props of {@link AlertingAspect}. */
export interface AlertingAspectProps {
  /**
   * Whether the environment is production: every alert policy must then notify a channel (FS-ALERT-1).
   * @default false
   */
  readonly production?: boolean;
}

/**
 * Alert policies someone can act on:
 * - FS-ALERT-1 (production only), `google_monitoring_alert_policy`: `notification_channels` is not empty;
 * - FS-ALERT-2, `google_monitoring_alert_policy`: a documentation `content` (the runbook), a
 *   `severity` and an `alert_strategy.auto_close`.
 */
export class AlertingAspect extends PolicyAspect {
  public readonly name = "alerting";
  public readonly rules = rulesOf("AlertingAspect");
  private readonly production: boolean;

  constructor(props: AlertingAspectProps = {}) {
    super();
    this.production = props.production ?? false;
  }

  protected check({ type, attributes }: PolicyResource): PolicyFinding[] {
    if (type !== "google_monitoring_alert_policy") return [];
    const findings: PolicyFinding[] = [];
    const channels = attributes.notification_channels;
    if (this.production && isKnown(channels) && (!Array.isArray(channels) || channels.length === 0)) {
      findings.push({
        rule: "FS-ALERT-1",
        message:
          "the alert policy notifies no channel in a production environment; set monitoring.notificationEmails or monitoring.notificationChannelIds",
      });
    }
    const missing: string[] = [];
    const documentation = block(attributes.documentation);
    if (!documentation || (isKnown(documentation.content) && String(documentation.content ?? "").trim() === "")) {
      missing.push("documentation.content (a runbook)");
    }
    if (attributes.severity === undefined) missing.push("severity");
    const strategy = block(attributes.alert_strategy);
    if (!strategy || strategy.auto_close === undefined) missing.push("alert_strategy.auto_close");
    if (missing.length > 0) {
      findings.push({ rule: "FS-ALERT-2", message: `the alert policy has no ${missing.join(", ")}` });
    }
    return findings;
  }
}
