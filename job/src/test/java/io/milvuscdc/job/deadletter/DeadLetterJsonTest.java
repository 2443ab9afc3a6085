package io.milvuscdc.job.deadletter;

import io.milvuscdc.connectors.deadletter.DeadLetter;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.connectors.event.proto.Upsert;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeadLetterJsonTest {

    @Test
    void aMessageRoundTripsWithItsChannelPositionAndBytes() {
        byte[] garbage = {(byte) 0xff, 0x00, 0x13, 0x37, '\n'};
        DeadLetter d = DeadLetter.message("by-dev-rootcoord-dml_1@4711", "not a Milvus message: truncated", garbage);
        String json = DeadLetterJson.toJson(d);
        assertFalse(json.contains("\n"), "one line per dead letter: " + json);
        DeadLetter back = DeadLetterJson.fromJson(json);
        assertEquals(d, back);
        assertEquals("by-dev-rootcoord-dml_1", back.channel);
        assertEquals("4711", back.position);
    }

    @Test
    void anOperationRoundTripsWithItsRows() throws Exception {
        TargetOperation op = TargetOperation.newBuilder().setDatabase("db1").setCollection("orders").setTimestamp(42)
                .setUpsert(Upsert.newBuilder().setNumRows(3).setPrimaryField("id")).build();
        DeadLetter d = DeadLetter.operation(op, "field n does not exist");
        String json = DeadLetterJson.toJson(d);
        assertTrue(json.contains("\"collection\":\"orders\"") && json.contains("\"operation\":\"upsert\""), json);
        DeadLetter back = DeadLetterJson.fromJson(json);
        assertEquals(d, back);
        assertEquals(op, TargetOperation.parseFrom(back.payload));
    }
}
