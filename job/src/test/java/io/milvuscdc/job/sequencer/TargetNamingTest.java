package io.milvuscdc.job.sequencer;

import io.milvuscdc.connectors.event.proto.ChangeEvent;
import io.milvuscdc.connectors.event.proto.CollectionCommand;
import io.milvuscdc.connectors.event.proto.CollectionCreated;
import io.milvuscdc.connectors.event.proto.DatabaseCommand;
import io.milvuscdc.connectors.event.proto.TargetOperation;
import io.milvuscdc.job.config.Selection;

import io.milvus.grpc.CreateIndexRequest;
import io.milvus.grpc.DropDatabaseRequest;
import io.milvus.grpc.FlushRequest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Selection and naming: the target names reach the requests the sink sends as they are. */
class TargetNamingTest {

    private final TargetNaming naming = new TargetNaming(new Selection(List.of("sales.*", "default.orders"),
            List.of("sales.tmp"), Map.of("sales", "sales_copy"), Map.of("default.orders", "orders_copy")));

    @Test
    void commandsCarryTheTargetNamesInTheirRequests() {
        TargetOperation index = naming.collectionCommand(ChangeEvent.newBuilder().setTimestamp(5).setCollectionCommand(
                CollectionCommand.newBuilder().setDbName("default").setCollectionName("orders")
                        .setCreateIndex(CreateIndexRequest.newBuilder().setDbName("default").setCollectionName("orders")))
                .build()).orElseThrow();
        assertEquals("default.orders_copy", index.getDatabase() + "." + index.getCollection());
        assertEquals("orders_copy", index.getCollectionCommand().getCreateIndex().getCollectionName());

        TargetOperation flush = naming.collectionCommand(ChangeEvent.newBuilder().setCollectionCommand(
                CollectionCommand.newBuilder().setDbName("sales").setCollectionName("leads")
                        .setFlush(FlushRequest.newBuilder().setDbName("sales").addCollectionNames("leads")))
                .build()).orElseThrow();
        assertEquals("sales_copy", flush.getCollectionCommand().getFlush().getDbName());
        assertEquals(List.of("leads"), flush.getCollectionCommand().getFlush().getCollectionNamesList());

        TargetOperation drop = naming.databaseCommand(ChangeEvent.newBuilder().setDatabaseCommand(DatabaseCommand.newBuilder()
                .setDbName("sales").setDropDatabase(DropDatabaseRequest.newBuilder().setDbName("sales"))).build()).orElseThrow();
        assertEquals("sales_copy", drop.getDatabaseCommand().getDropDatabase().getDbName());
    }

    @Test
    void whatIsNotSelectedIsSkipped() {
        assertTrue(naming.collectionCommand(ChangeEvent.newBuilder().setCollectionCommand(CollectionCommand.newBuilder()
                .setDbName("sales").setCollectionName("tmp")).build()).isEmpty());
        assertTrue(naming.databaseCommand(ChangeEvent.newBuilder().setDatabaseCommand(DatabaseCommand.newBuilder()
                .setDbName("hr")).build()).isEmpty());
        assertTrue(naming.collection(CollectionCreated.newBuilder().setDbName("default").setCollectionName("users").build(), 1)
                .isEmpty());
    }

    @Test
    void aCreatedCollectionGetsItsTargetNamesAndItsIncarnation() {
        CollectionCreated created = naming.collection(CollectionCreated.newBuilder().setCollectionName("orders").build(), 77)
                .orElseThrow();
        assertEquals("default", created.getDbName(), "no database name on the source means the default database");
        assertEquals("orders_copy", created.getCollectionName());
        assertEquals(77, created.getIncarnation());
    }
}
