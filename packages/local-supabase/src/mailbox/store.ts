import { randomUUID } from "node:crypto";

export interface Address {
  Name: string;
  Address: string;
}

export interface OutgoingMail {
  from: Address;
  to: Address[];
  subject: string;
  text: string;
  html: string;
}

export interface StoredMail extends OutgoingMail {
  id: string;
  messageId: string;
  created: Date;
  read: boolean;
}

/**
 * Mails live in memory: the mailbox is a development aid, and a restart starting empty matches
 * what developers expect from Mailpit's default in-memory mode.
 */
export class MailStore {
  #mails: StoredMail[] = [];
  readonly #limit: number;

  constructor(limit = 500) {
    this.#limit = limit;
  }

  add(mail: OutgoingMail): StoredMail {
    const id = randomUUID();
    const stored: StoredMail = { ...mail, id, messageId: `${id}@embedded.local`, created: new Date(), read: false };
    this.#mails.unshift(stored);
    this.#mails.length = Math.min(this.#mails.length, this.#limit);
    return stored;
  }

  /** Newest first, as Mailpit lists them. */
  list(): StoredMail[] {
    return [...this.#mails];
  }

  get(id: string): StoredMail | undefined {
    return this.#mails.find((mail) => mail.id === id);
  }

  clear(): void {
    this.#mails = [];
  }
}
