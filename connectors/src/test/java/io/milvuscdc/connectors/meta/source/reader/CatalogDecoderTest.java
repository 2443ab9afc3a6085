package io.milvuscdc.connectors.meta.source.reader;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.meta.proto.PartitionInfo;
import io.milvuscdc.testutils.WireCaptures;

import io.milvus.grpc.DataType;
import io.milvus.grpc.FieldSchema;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replays the etcd history a real Milvus 2.3.5 wrote for a created, then dropped, collection. */
class CatalogDecoderTest {

    private final WireCaptures capture = WireCaptures.load(WireCaptures.MILVUS_2_3_5_KAFKA);

    @Test
    void collectionIsEmittedOnceWhenCreatedWithItsFieldsThenDropped() throws Exception {
        CatalogDecoder decoder = new CatalogDecoder(capture.etcdRoot() + "/root-coord/");
        Map<String, byte[]> state = new HashMap<>();
        List<ChangeEvent> events = new ArrayList<>();
        for (WireCaptures.EtcdEvent e : capture.etcdEvents()) {
            if (e.delete) {
                state.remove(e.key);
            } else {
                state.put(e.key, e.value);
            }
            decoder.apply(e.key, e.delete ? null : e.value, e.revision, new StateParts(state, capture.etcdRoot()))
                    .ifPresent(events::add);
        }
        assertEquals(2, events.size(), events.toString());
        ChangeEvent created = events.get(0);
        assertTrue(created.hasCollectionCreated());
        assertEquals("wire_capture", created.getCollectionCreated().getCollectionName());
        assertEquals("default", created.getCollectionCreated().getDbName());
        assertEquals(2, created.getCollectionCreated().getShardsNum());
        assertEquals(2, created.getCollectionCreated().getVirtualChannelsCount());
        assertEquals(List.of("_default"), created.getCollectionCreated().getPartitionNamesList());
        List<String> fields = created.getCollectionCreated().getSchema().getFieldsList().stream()
                .map(f -> f.getFieldID() + ":" + f.getName() + ":" + f.getDataType()).collect(Collectors.toList());
        assertEquals(List.of("0:RowID:Int64", "1:Timestamp:Int64", "100:id:Int64", "101:title:VarChar", "102:score:Float",
                "103:meta:JSON", "104:vec:FloatVector", "105:$meta:JSON"), fields);
        FieldSchema pk = created.getCollectionCreated().getSchema().getFields(2);
        assertTrue(pk.getIsPrimaryKey());
        assertTrue(created.getCollectionCreated().getSchema().getEnableDynamicField());
        assertEquals(DataType.JSON, created.getCollectionCreated().getSchema().getFields(7).getDataType());

        ChangeEvent dropped = events.get(1);
        assertTrue(dropped.hasCollectionDropped());
        assertEquals(created.getCollectionId(), dropped.getCollectionId());
    }

    @Test
    void tombstoneIsRecognised() {
        assertTrue(CatalogDecoder.isTombstone(new byte[] {(byte) 0xE2, (byte) 0x9B, (byte) 0xBC}));
        assertTrue(CatalogDecoder.isTombstone(null));
    }

    /** Fields and partitions from the replayed key-value state. */
    private static final class StateParts implements CatalogDecoder.CollectionParts {
        private final Map<String, byte[]> state;
        private final String root;

        StateParts(Map<String, byte[]> state, String root) {
            this.state = state;
            this.root = root + "/root-coord/";
        }

        @Override
        public List<FieldSchema> fields(long collectionId) {
            List<FieldSchema> out = new ArrayList<>();
            state.forEach((k, v) -> {
                if (k.startsWith(root + "fields/" + collectionId + "/")) {
                    try {
                        out.add(FieldSchema.parseFrom(v));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            return out;
        }

        @Override
        public List<PartitionInfo> partitions(long collectionId) {
            List<PartitionInfo> out = new ArrayList<>();
            state.forEach((k, v) -> {
                if (k.startsWith(root + "partitions/" + collectionId + "/")) {
                    try {
                        out.add(PartitionInfo.parseFrom(v));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            return out;
        }
    }
}
