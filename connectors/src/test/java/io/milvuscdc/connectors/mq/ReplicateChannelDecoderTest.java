package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.testutils.WireCaptures;

import io.milvus.grpc.KeyValuePair;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replicate channel's messages as the real 2.3.5 server wrote them. */
class ReplicateChannelDecoderTest {

    private final List<ChangeEvent> events = decodeAll();

    private static List<ChangeEvent> decodeAll() {
        MilvusMessageDecoder decoder = new MilvusMessageDecoder();
        List<ChangeEvent> out = new ArrayList<>();
        for (WireCaptures.MqMessage m : WireCaptures.load(WireCaptures.MILVUS_2_3_5_REPLICATE).messages()) {
            List<ChangeEvent> decoded = decoder.decode(m.payload, m.origin());
            assertEquals(1, decoded.size(), "one event per message at " + m.origin());
            out.add(decoded.get(0));
        }
        return out;
    }

    @Test
    void everyOperationIsDecodedInOrderWithItsNames() {
        assertEquals(List.of("CREATE_DATABASE", "FLUSH", "CREATE_INDEX", "LOAD_COLLECTION", "RELEASE_COLLECTION",
                        "DROP_INDEX", "DROP_DATABASE"),
                events.stream().map(ReplicateChannelDecoderTest::kind).collect(Collectors.toList()));
        for (ChangeEvent e : events) {
            assertEquals(0, e.getCollectionId(), "named by database and collection, not id");
            assertTrue(e.getTimestamp() > 0);
            if (e.hasCollectionCommand()) {
                assertEquals("db3", e.getCollectionCommand().getDbName());
                assertEquals("c1", e.getCollectionCommand().getCollectionName());
            } else {
                assertEquals("db3", e.getDatabaseCommand().getDbName());
            }
        }
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).getTimestamp() > events.get(i - 1).getTimestamp(), "TSO order on the channel");
        }
    }

    @Test
    void createIndexKeepsTypeMetricParametersAndNameWithoutTheSourceHeader() {
        CollectionCommand command = events.get(2).getCollectionCommand();
        Map<String, String> params = command.getCreateIndex().getExtraParamsList().stream()
                .collect(Collectors.toMap(KeyValuePair::getKey, KeyValuePair::getValue));
        assertEquals("IVF_FLAT", params.get("index_type"));
        assertEquals("L2", params.get("metric_type"));
        assertEquals("16", params.get("nlist"));
        assertEquals("vidx", command.getCreateIndex().getIndexName());
        assertEquals("vec", command.getCreateIndex().getFieldName());
        assertFalse(command.getCreateIndex().hasBase(), "the source's MsgBase is not sent to the target");
    }

    private static String kind(ChangeEvent e) {
        return e.hasCollectionCommand() ? e.getCollectionCommand().getCommandCase().name()
                : e.getDatabaseCommand().getCommandCase().name();
    }
}
