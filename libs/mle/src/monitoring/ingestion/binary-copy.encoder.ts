// PostgreSQL's binary COPY format: a signature, flags and header-extension length, then per row
// a field count and each field as a length and its bytes, then -1.
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_TO_32 = 2 ** 32;

/**
 * Rows in PostgreSQL's binary COPY format, written into one growing buffer. Binary spares the
 * server the parsing of uuid, timestamp and numbers as text, and values need no escaping.
 */
export class BinaryCopyEncoder {
  private buffer = Buffer.allocUnsafe(1 << 20);
  private length = HEADER_BYTES;

  constructor() {
    SIGNATURE.copy(this.buffer);
    this.buffer.fill(0, SIGNATURE.length, HEADER_BYTES);
  }

  /** Starts a row of `fields` values. */
  row(fields: number): void {
    this.reserve(2);
    this.length = this.buffer.writeInt16BE(fields, this.length);
  }

  /** A uuid from its 32 hex digits. */
  uuid(hex: string): void {
    this.reserve(20);
    this.length = this.buffer.writeInt32BE(16, this.length);
    this.length += this.buffer.write(hex, this.length, 16, 'hex');
  }

  text(value: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    this.reserve(4 + 3 * value.length);
    const bytes = this.buffer.write(value, this.length + 4);
    this.buffer.writeInt32BE(bytes, this.length);
    this.length += 4 + bytes;
  }

  /** A jsonb value from its JSON text. */
  jsonb(json: string): void {
    this.reserve(5 + 3 * json.length);
    const bytes = this.buffer.write(json, this.length + 5);
    this.buffer.writeInt32BE(bytes + 1, this.length);
    // jsonb's binary form is a version number (1) and the JSON text.
    this.buffer[this.length + 4] = 1;
    this.length += 5 + bytes;
  }

  /** A timestamptz from epoch milliseconds. */
  timestamptz(ms: number): void {
    this.reserve(12);
    this.length = this.buffer.writeInt32BE(8, this.length);
    // Microseconds since 2000-01-01 as an int64; exact as a double for 1715–2285.
    const micros = (ms - PG_EPOCH_MS) * 1_000;
    if (Number.isSafeInteger(micros)) {
      const high = Math.floor(micros / TWO_TO_32);
      this.buffer.writeInt32BE(high, this.length);
      this.buffer.writeUInt32BE(micros - high * TWO_TO_32, this.length + 4);
      this.length += 8;
    } else {
      this.length = this.buffer.writeBigInt64BE(BigInt(ms - PG_EPOCH_MS) * 1_000n, this.length);
    }
  }

  float8(value: number): void {
    this.reserve(12);
    this.length = this.buffer.writeInt32BE(8, this.length);
    this.length = this.buffer.writeDoubleBE(value, this.length);
  }

  bool(value: boolean): void {
    this.reserve(5);
    this.length = this.buffer.writeInt32BE(1, this.length);
    this.buffer[this.length++] = value ? 1 : 0;
  }

  /** The COPY data, trailer included; the encoder is not used after. */
  finish(): Buffer {
    this.reserve(2);
    this.length = this.buffer.writeInt16BE(-1, this.length);
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
