/**
 * The few promises over IndexedDB the store needs. This replaces the idb
 * library (1.5 kB gzip, an eighth of the worker's 12 kB budget) for the five
 * operations used here. The same rule as idb applies: await only IndexedDB
 * requests inside a transaction, or it commits early.
 */

/** Resolve with a request's result, reject with its error. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Resolve when the transaction commits; reject when it errors or aborts (quota, closed database). */
export function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

/** Walk a cursor; `visit` returns false to stop early. Rejects when `visit` throws (else nothing would settle). */
export function walk(req: IDBRequest<IDBCursorWithValue | null>, visit: (cursor: IDBCursorWithValue) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      try {
        const cursor = req.result;
        if (cursor && visit(cursor)) cursor.continue();
        else resolve();
      } catch (error) {
        reject(error);
      }
    };
    req.onerror = () => reject(req.error);
  });
}
