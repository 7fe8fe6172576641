import { createTransport, type Transporter } from "nodemailer";
import type { Trigger } from "./store.ts";

/** The email of a notification: to the video's owner, naming the video and its state. */
export function emailMessage(n: {
  trigger: Trigger;
  video_id: string;
  title: string | null;
  notification_id: string;
  reason?: string | undefined;
}): { subject: string; text: string } {
  const name = n.title ? `"${n.title}"` : n.video_id;
  if (n.trigger === "video.ready")
    return {
      subject: `Your video ${name} is ready`,
      text: `Your video ${name} (id ${n.video_id}) is ready to play.\n\nNotification ${n.notification_id}\n`,
    };
  return {
    subject: `Your video ${name} could not be processed`,
    text: `Your video ${name} (id ${n.video_id}) failed to process${n.reason ? `: ${n.reason}` : "."}\n\nNotification ${n.notification_id}\n`,
  };
}

/** What one SMTP submission came to: the server's reply code (0 when none). */
export interface MailResult {
  status: number;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
}

/** Sends emails over REELTIME_SMTP_URL (nodemailer). */
export class Mailer {
  readonly #transport: Transporter;
  readonly #from: string;
  constructor(url: string, from: string, timeoutMs = 10_000) {
    // The URL's own settings win over these (nodemailer merges them over the options).
    this.#transport = createTransport({
      url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    } as Parameters<typeof createTransport>[0]);
    this.#from = from;
  }

  /** Sends one message with the notification id as its Message-ID (a duplicate is recognisable). Never throws. */
  async send(to: string, id: string, message: { subject: string; text: string }): Promise<MailResult> {
    try {
      const info = await this.#transport.sendMail({
        from: this.#from,
        to,
        subject: message.subject,
        text: message.text,
        messageId: `<${id}@reeltime>`,
        headers: { "X-Reeltime-Notification-Id": id },
      });
      const code = Number.parseInt(String(info.response ?? "250").slice(0, 3), 10);
      return { status: Number.isFinite(code) ? code : 250 };
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message?: string };
      return {
        status: e.responseCode ?? 0,
        errorCode: e.code ?? "smtp",
        errorMessage: String(e.message ?? err).slice(0, 500),
      };
    }
  }

  close(): void {
    this.#transport.close();
  }
}
