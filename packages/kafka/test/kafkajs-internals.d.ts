// The record-batch encoder and decoder inside kafkajs 2.2.4 (not part of its public API): the
// codec tests run batches through the very code a producer and a consumer use.
declare module 'kafkajs/src/protocol/encoder.js' {
  class Encoder {
    buffer: Buffer;
  }
  export default Encoder;
}
declare module 'kafkajs/src/protocol/decoder.js' {
  class Decoder {
    constructor(buffer: Buffer);
  }
  export default Decoder;
}
declare module 'kafkajs/src/protocol/recordBatch/record/v0/index.js' {
  import type Encoder from 'kafkajs/src/protocol/encoder.js';
  const Record: (record: { offsetDelta?: number; timestampDelta?: number; key: Buffer | null; value: Buffer | null; headers?: Record<string, Buffer> }) => Encoder;
  export default Record;
}
declare module 'kafkajs/src/protocol/recordBatch/v0/index.js' {
  import type Encoder from 'kafkajs/src/protocol/encoder.js';
  export function RecordBatch(batch: {
    compression?: number;
    records: Encoder[];
    firstTimestamp?: number;
    maxTimestamp?: number;
    lastOffsetDelta?: number;
  }): Promise<Encoder>;
}
declare module 'kafkajs/src/protocol/recordBatch/v0/decoder.js' {
  import type Decoder from 'kafkajs/src/protocol/decoder.js';
  const decode: (decoder: Decoder) => Promise<{
    firstOffset: string;
    records: Array<{ key: Buffer | null; value: Buffer | null; offset: string; timestamp: string }>;
  }>;
  export default decode;
}
