/** A binary min-heap of (expiresAt, key): the memory store's expiry index. */
export class ExpiryHeap {
  private readonly at: number[] = [];
  private readonly keys: string[] = [];

  get size(): number {
    return this.at.length;
  }

  push(expiresAt: number, key: string): void {
    this.at.push(expiresAt);
    this.keys.push(key);
    let i = this.at.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.at[parent] as number) <= expiresAt) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns the key with the earliest expiry if it is `<= now`. */
  popDue(now: number): string | undefined {
    return this.popDueEntry(now)?.key;
  }

  /** As `popDue`, also returning the expiry the key was pushed with. */
  popDueEntry(now: number): { expiresAt: number; key: string } | undefined {
    if (this.at.length === 0 || (this.at[0] as number) > now) return undefined;
    const expiresAt = this.at[0] as number;
    const key = this.keys[0] as string;
    const lastAt = this.at.pop() as number;
    const lastKey = this.keys.pop() as string;
    if (this.at.length > 0) {
      this.at[0] = lastAt;
      this.keys[0] = lastKey;
      this.siftDown(0);
    }
    return { expiresAt, key };
  }

  private siftDown(i: number): void {
    const n = this.at.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && (this.at[l] as number) < (this.at[m] as number)) m = l;
      if (r < n && (this.at[r] as number) < (this.at[m] as number)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const at = this.at[a] as number;
    this.at[a] = this.at[b] as number;
    this.at[b] = at;
    const k = this.keys[a] as string;
    this.keys[a] = this.keys[b] as string;
    this.keys[b] = k;
  }
}
