import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;

/**
 * Writes record batches (magic v2) as kafka-clients 3.9 builds them for a Produce request and the
 * broker keeps them in its log, one file per codec, for packages/kafka/test/codecs.test.ts. The
 * records, compressed or not, start after the 61-byte batch header:
 *
 *   java -cp 'infra/kafka/lib/*' test/support/java/CompressedBatchFixtures.java packages/kafka/test/fixtures
 *
 * Two fixed sets of records (no clock, no randomness):
 * - "small": 320 status events, about 150 kB: every codec writes several blocks (snappy-java's
 *   32 kB chunks, LZ4 64 kB blocks, zstd 128 kB blocks);
 * - "large": 1,000 repetitive records, about 2 MB, that compress more than 100 times: zstd
 *   frames from kafka-clients carry no content size, and a decoder that guesses the output
 *   size (1 MB, or 20 times the input) fails on them.
 * manifest.json gives, per set, the length and SHA-256 of the uncompressed records (what every
 * codec must decompress the bytes after the header to).
 */
public class CompressedBatchFixtures {
  static SimpleRecord[] small() {
    SimpleRecord[] records = new SimpleRecord[320];
    for (int i = 0; i < records.length; i++) {
      String key = String.format("00000000-0000-4000-8000-%012d", i);
      String value = String.format(
          "{\"event_id\":\"10000000-0000-4000-8000-%012d\",\"notification_id\":\"%s\",\"service_id\":\"00000000-0000-4000-8000-000000000001\","
              + "\"template_id\":null,\"job_id\":null,\"notification_type\":\"%s\",\"key_type\":\"normal\",\"status\":\"%s\","
              + "\"created_at\":\"2024-04-%02dT10:00:00.000Z\",\"updated_at\":\"2024-04-%02dT10:00:05.000Z\",\"billable_units\":%d,"
              + "\"rate_multiplier\":1,\"international\":false,\"sent_by\":\"mmg\",\"postage\":null,\"n\":%d}",
          i, key, i % 3 == 0 ? "email" : "sms", i % 7 == 0 ? "permanent-failure" : "delivered", 1 + i % 28, 1 + i % 28, 1 + i % 4, i * 7919 % 100003);
      records[i] = new SimpleRecord(1_713_175_200_000L + i, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }
    return records;
  }

  static SimpleRecord[] large() {
    SimpleRecord[] records = new SimpleRecord[1000];
    String filler = "{\"status\":\"delivered\",\"sent_by\":\"mmg\",\"postage\":null}".repeat(40);
    for (int i = 0; i < records.length; i++) {
      String key = String.format("key-%06d", i);
      records[i] = new SimpleRecord(1_713_175_200_000L + i, key.getBytes(StandardCharsets.UTF_8), (filler + i).getBytes(StandardCharsets.UTF_8));
    }
    return records;
  }

  static byte[] batch(Compression compression, SimpleRecord[] records) {
    ByteBuffer buffer = MemoryRecords.withRecords(RecordBatch.MAGIC_VALUE_V2, 0L, compression, records).buffer();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : ".");
    Files.createDirectories(dir);
    Map<String, Compression> codecs = new LinkedHashMap<>();
    codecs.put("gzip", Compression.gzip().build());
    codecs.put("snappy", Compression.snappy().build());
    codecs.put("lz4", Compression.lz4().build());
    codecs.put("zstd", Compression.zstd().build());
    Map<String, SimpleRecord[]> sets = new LinkedHashMap<>();
    sets.put("small", small());
    sets.put("large", large());
    List<String> manifest = new ArrayList<>();
    for (Map.Entry<String, SimpleRecord[]> set : sets.entrySet()) {
      byte[] plain = batch(Compression.NONE, set.getValue());
      int header = DefaultRecordBatch.RECORD_BATCH_OVERHEAD;
      byte[] records = java.util.Arrays.copyOfRange(plain, header, plain.length);
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(records));
      manifest.add(String.format("  \"%s\": { \"records\": %d, \"headerBytes\": %d, \"bytes\": %d, \"sha256\": \"%s\" }",
          set.getKey(), set.getValue().length, header, records.length, sha));
      for (Map.Entry<String, Compression> c : codecs.entrySet()) {
        byte[] compressed = batch(c.getValue(), set.getValue());
        String file = set.getKey() + "-" + c.getKey() + ".bin";
        Files.write(dir.resolve(file), compressed);
        System.out.println(file + ": " + (compressed.length - header) + " bytes of records for " + records.length);
      }
    }
    Files.writeString(dir.resolve("manifest.json"), "{\n" + String.join(",\n", manifest) + "\n}\n");
  }
}
