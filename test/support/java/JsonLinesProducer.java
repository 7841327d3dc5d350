import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces lines of standard input, each `key<TAB>value` (UTF-8; an empty key is a null key), to
 * one topic with the Kafka project's own Java client, as a producer of another team would:
 *
 *   java -cp 'infra/kafka/lib/*' JsonLinesProducer.java <bootstrap> <topic> <none|gzip|snappy|lz4|zstd>
 *
 * acks=all, a long linger and a large batch, so that records really travel in compressed
 * batches of many records. Prints "sent N" once every record is acknowledged; exits 1 on any
 * failure.
 */
public class JsonLinesProducer {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: JsonLinesProducer <bootstrap> <topic> <none|gzip|snappy|lz4|zstd>");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "java-jsonlines-producer");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[2]);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "50");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(512 * 1024));
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(1024 * 1024 - 1024));
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());

    String topic = args[1];
    List<Future<RecordMetadata>> pending = new ArrayList<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) continue;
        int tab = line.indexOf('\t');
        if (tab < 0) throw new IllegalArgumentException("line " + (pending.size() + 1) + " has no TAB between key and value");
        String key = tab == 0 ? null : line.substring(0, tab);
        pending.add(producer.send(new ProducerRecord<>(topic, key, line.substring(tab + 1))));
      }
      producer.flush();
      for (Future<RecordMetadata> f : pending) f.get(); // rethrows the first failed send
    }
    System.out.println("sent " + pending.size());
  }
}
