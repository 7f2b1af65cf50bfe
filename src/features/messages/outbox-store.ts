/**
 * The outbox's copy in IndexedDB (ADR 0037): what was written but not yet accepted by the server
 * survives a reload, a closed tab or a crash. Loaded lazily, on the first send or after mount, so
 * none of it weighs on the page's up-front JavaScript.
 */

/** What is kept of a message until the server has it: enough to send it again, as it was. */
export interface StoredMessage {
  id: string;
  /** The signed-in user who wrote it: only their pages send it. */
  author: string;
  body: string;
  to: string | null;
  announcement: boolean;
  /** Sending order: the order the user wrote them in, across reloads. */
  seq: number;
  failed: boolean;
  error?: string;
}

const DATABASE = "messages-outbox";
const STORE = "messages";

let opened: Promise<IDBDatabase> | undefined;

function request<T>(run: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    run.onsuccess = () => resolve(run.result);
    run.onerror = () => reject(run.error ?? new Error("IndexedDB request failed"));
  });
}

function database(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(DATABASE, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "id" });
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error ?? new Error("IndexedDB unavailable"));
  }).catch((error: unknown) => {
    // A later call may succeed (a private window's storage that was busy): do not keep the failure.
    opened = undefined;
    throw error;
  });
  return opened;
}

async function inStore<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const transaction = (await database()).transaction(STORE, mode);
  const result = await request(run(transaction.objectStore(STORE)));
  // A write counts once its transaction committed, not when its request succeeded.
  await new Promise<void>((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB write failed"));
    if (mode === "readonly") resolve();
  });
  return result;
}

export function saveMessage(message: StoredMessage): Promise<unknown> {
  return inStore("readwrite", (store) => store.put(message));
}

export function removeMessage(id: string): Promise<unknown> {
  return inStore("readwrite", (store) => store.delete(id));
}

export async function storedMessages(): Promise<StoredMessage[]> {
  const all = (await inStore("readonly", (store) => store.getAll())) as StoredMessage[];
  return all.sort((a, b) => a.seq - b.seq);
}
