package io.milvuscdc.connectors.mq;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.testutils.WireCaptures;

import io.milvus.grpc.FieldData;
import io.milvus.grpc.MsgType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decodes the messages a real Milvus 2.3.5 wrote (create, index, load, insert, delete, upsert,
 * release, tick, drop), once as written to Kafka and once as written to Pulsar: the payloads are
 * the same protobufs, only the positions differ (offsets, message ids).
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {WireCaptures.MILVUS_2_3_5_KAFKA, WireCaptures.MILVUS_2_3_5_PULSAR})
class MilvusMessageDecoderTest {

    private final MilvusMessageDecoder decoder = new MilvusMessageDecoder();
    private final WireCaptures capture;
    private final List<WireCaptures.MqMessage> messages;

    MilvusMessageDecoderTest(String resource) {
        capture = WireCaptures.load(resource);
        messages = capture.messages();
    }

    private List<ChangeEvent> decodeAll() {
        List<ChangeEvent> events = new ArrayList<>();
        for (WireCaptures.MqMessage m : messages) {
            events.addAll(decoder.decode(m.payload, m.origin()));
        }
        return events;
    }

    @Test
    void insertsCarryColumnsWithoutSystemFields() {
        List<ChangeEvent> inserts = decodeAll().stream().filter(ChangeEvent::hasRowsInserted).collect(Collectors.toList());
        // One insert of rows 0..2, one upsert row (2).
        assertEquals(2, inserts.size());
        ChangeEvent first = inserts.get(0);
        assertEquals(3, first.getRowsInserted().getNumRows());
        assertTrue(first.getTimestamp() > 0, "an Insert's timestamp comes from its rows");
        assertTrue(first.getRowsInserted().getVchannel().matches(
                capture.channelPrefix() + "-rootcoord-dml_\\d+_" + first.getCollectionId() + "v\\d+"),
                first.getRowsInserted().getVchannel());
        List<String> names = first.getRowsInserted().getFieldsDataList().stream().map(FieldData::getFieldName).sorted()
                .collect(Collectors.toList());
        assertEquals(List.of("$meta", "id", "meta", "score", "title", "vec"), names);
        FieldData id = column(first, "id");
        assertEquals(List.of(0L, 1L, 2L), id.getScalars().getLongData().getDataList().stream().sorted().collect(Collectors.toList()));
        FieldData vec = column(first, "vec");
        assertEquals(4, vec.getVectors().getDim());
        assertEquals(12, vec.getVectors().getFloatVector().getDataCount());
        assertTrue(column(first, "$meta").getIsDynamic());
    }

    /** The columns are copied as bytes, not decoded: they must still be exactly the source's. */
    @Test
    void insertColumnsAreTheSourcesColumnsByteForByte() throws Exception {
        int inserts = 0;
        for (WireCaptures.MqMessage m : messages) {
            List<ChangeEvent> events = decoder.decode(m.payload, m.origin());
            if (events.size() != 1 || !events.get(0).hasRowsInserted()) {
                continue;
            }
            inserts++;
            milvus.proto.msg.Msg.InsertRequest source = milvus.proto.msg.Msg.InsertRequest.parseFrom(m.payload);
            assertEquals(source.getFieldsDataList().stream().filter(f -> f.getFieldId() >= 100).collect(Collectors.toList()),
                    events.get(0).getRowsInserted().getFieldsDataList());
            assertEquals(source.getCollectionID(), events.get(0).getCollectionId());
            assertEquals(source.getPartitionID(), events.get(0).getRowsInserted().getPartitionId());
        }
        assertEquals(2, inserts);
    }

    @Test
    void deleteCarriesKeys() {
        List<ChangeEvent> deletes = decodeAll().stream().filter(ChangeEvent::hasRowsDeleted).collect(Collectors.toList());
        assertEquals(2, deletes.size());
        assertEquals(List.of(1L), deletes.get(0).getRowsDeleted().getPrimaryKeys().getIntId().getDataList());
    }

    @Test
    void upsertIsAnInsertThenADeleteOfTheSameKeyAtTheSameTimestamp() {
        List<ChangeEvent> events = decodeAll().stream()
                .filter(e -> e.hasRowsInserted() || e.hasRowsDeleted()).collect(Collectors.toList());
        ChangeEvent insert = events.get(events.size() - 2);
        ChangeEvent delete = events.get(events.size() - 1);
        assertTrue(insert.hasRowsInserted());
        assertTrue(delete.hasRowsDeleted());
        assertEquals(insert.getTimestamp(), delete.getTimestamp());
        assertEquals(List.of(2L), delete.getRowsDeleted().getPrimaryKeys().getIntId().getDataList());
        assertEquals(List.of(2L), column(insert, "id").getScalars().getLongData().getDataList());
    }

    @Test
    void dropCollectionArrivesOncePerPhysicalChannel() {
        List<ChangeEvent> drops = decodeAll().stream().filter(ChangeEvent::hasShardDropped).collect(Collectors.toList());
        // Two shards: one drop on each of two distinct physical channels.
        List<String> channels = drops.stream().map(d -> d.getShardDropped().getVchannel()).distinct().sorted()
                .collect(Collectors.toList());
        assertEquals(2, drops.size());
        assertEquals(2, channels.size(), channels.toString());
        channels.forEach(c -> assertTrue(c.matches(capture.channelPrefix() + "-rootcoord-dml_\\d+"), c));
        assertEquals(drops.get(0).getCollectionId(), drops.get(1).getCollectionId());
    }

    @Test
    void createCollectionGivesNoEventAndTimeTicksMarkTheirChannel() {
        int creates = 0;
        int ticks = 0;
        for (WireCaptures.MqMessage m : messages) {
            MsgType type = MilvusMessageDecoder.typeOf(m.payload);
            List<ChangeEvent> events = decoder.decode(m.payload, m.origin());
            if (type == MsgType.CreateCollection) {
                assertTrue(events.isEmpty());
                creates++;
            } else if (type == MsgType.TimeTick) {
                assertEquals(1, events.size());
                assertEquals(m.channel, events.get(0).getTimeTick().getChannel());
                assertTrue(events.get(0).getTimestamp() > 0);
                ticks++;
            }
        }
        assertTrue(creates >= 1 && ticks >= 4, "the capture holds time ticks and create-collection messages");
    }

    @Test
    void replicateChannelCarriesIndexLoadAndReleaseByName() {
        List<ChangeEvent> commands = new ArrayList<>();
        for (WireCaptures.MqMessage m : messages) {
            if (m.channel.equals(capture.channelPrefix() + "-replicate-msg")) {
                commands.addAll(decoder.decode(m.payload, m.origin()));
            }
        }
        assertEquals(List.of("CREATE_INDEX", "LOAD_COLLECTION", "RELEASE_COLLECTION"), commands.stream()
                .map(c -> c.getCollectionCommand().getCommandCase().name()).collect(Collectors.toList()));
        commands.forEach(c -> assertEquals("wire_capture", c.getCollectionCommand().getCollectionName()));
    }

    @Test
    void garbageIsDeadLetteredNotDropped() {
        List<ChangeEvent> events = decoder.decode(new byte[] {(byte) 0xff, 0x01, 0x02}, "ch@7");
        assertEquals(1, events.size());
        assertTrue(events.get(0).hasUndecodable());
        assertEquals("ch@7", events.get(0).getOrigin());
        assertEquals(3, events.get(0).getUndecodable().getPayload().size());
    }

    private static FieldData column(ChangeEvent insert, String name) {
        return insert.getRowsInserted().getFieldsDataList().stream().filter(f -> f.getFieldName().equals(name))
                .findFirst().orElseThrow();
    }
}
