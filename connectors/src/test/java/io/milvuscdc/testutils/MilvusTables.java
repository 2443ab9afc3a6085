package io.milvuscdc.testutils;

import io.milvus.v2.client.ConnectConfig;
import io.milvus.v2.client.MilvusClientV2;
import io.milvus.v2.common.ConsistencyLevel;
import io.milvus.v2.service.vector.request.QueryReq;
import io.milvus.v2.service.vector.response.QueryResp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Reads whole collections for comparison: every row by primary key, every field value. */
public final class MilvusTables {

    private MilvusTables() {}

    public static MilvusClientV2 connect(MilvusStack.Milvus milvus) {
        // A deadline on every call: a query waiting on a stalled channel fails instead of hanging the suite.
        return new MilvusClientV2(ConnectConfig.builder().uri(milvus.uri()).rpcDeadlineMs(120_000).build());
    }

    /** Row count with strong consistency. */
    public static long count(MilvusClientV2 client, String collection) {
        return count(client, "default", collection);
    }

    /** Row count with strong consistency, in a database. */
    public static long count(MilvusClientV2 client, String database, String collection) {
        QueryResp resp = client.query(QueryReq.builder().databaseName(database).collectionName(collection).filter("")
                .outputFields(List.of("count(*)")).consistencyLevel(ConsistencyLevel.STRONG).build());
        return ((Number) resp.getQueryResults().get(0).getEntity().get("count(*)")).longValue();
    }

    /** The rows with these int64 keys, keyed and sorted by primary key. */
    public static Map<Long, Map<String, Object>> rowsByKey(MilvusClientV2 client, String collection, String pk,
                                                           Collection<Long> keys, List<String> outputFields) {
        return rowsByKey(client, "default", collection, pk, keys, outputFields);
    }

    /** The rows with these int64 keys in a database's collection, keyed and sorted by primary key. */
    public static Map<Long, Map<String, Object>> rowsByKey(MilvusClientV2 client, String database, String collection,
                                                           String pk, Collection<Long> keys, List<String> outputFields) {
        Map<Long, Map<String, Object>> rows = new TreeMap<>();
        List<Long> all = new ArrayList<>(keys);
        for (int from = 0; from < all.size(); from += 2000) {
            List<Long> chunk = all.subList(from, Math.min(all.size(), from + 2000));
            String filter = pk + " in [" + chunk.stream().map(String::valueOf).collect(Collectors.joining(",")) + "]";
            QueryResp resp = client.query(QueryReq.builder().databaseName(database).collectionName(collection).filter(filter)
                    .outputFields(outputFields).consistencyLevel(ConsistencyLevel.STRONG).limit(chunk.size()).build());
            for (QueryResp.QueryResult r : resp.getQueryResults()) {
                rows.put(((Number) r.getEntity().get(pk)).longValue(), r.getEntity());
            }
        }
        return rows;
    }
}
