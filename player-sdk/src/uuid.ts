const HEX = Array.from({ length: 256 }, (_, i) => (i + 256).toString(16).slice(1));

/** A UUIDv7 (RFC 9562): 48-bit epoch milliseconds, version 7, variant 10, 74 random bits. */
export function uuidv7(ms: number, random: Uint8Array): string {
  const b = new Uint8Array(16);
  let t = Math.max(0, Math.floor(ms));
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b.set(random.subarray(0, 10), 6);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  let s = "";
  for (let i = 0; i < 16; i++) s += (i === 4 || i === 6 || i === 8 || i === 10 ? "-" : "") + HEX[b[i]!];
  return s;
}
