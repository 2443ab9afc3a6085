package io.milvuscdc.connectors.verify;

import io.milvuscdc.connectors.query.MilvusQueryClient;
import io.milvuscdc.connectors.sink.internal.TargetMilvusClient;

import io.milvus.grpc.DescribeCollectionResponse;
import io.milvus.grpc.FieldSchema;
import io.milvus.grpc.IndexDescription;
import io.milvus.grpc.KeyValuePair;
import io.milvus.grpc.LoadState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a collection is, apart from its rows, as comparable text: fields (auto-id aside: the
 * target keeps the source's keys), dynamic field, shards, consistency level, partitions,
 * properties, indexes and load state.
 */
public final class CollectionShape {

    /** aspect → description, in a fixed order. */
    public final Map<String, String> aspects = new LinkedHashMap<>();
    public final String primaryField;
    public final boolean stringKeys;
    public final boolean partitionKey;
    public final List<String> partitions;
    public final LoadState loadState;
    public final List<IndexDescription> indexes;

    private CollectionShape(DescribeCollectionResponse d, List<String> partitions, List<IndexDescription> indexes,
                            LoadState loadState) {
        FieldSchema pk = d.getSchema().getFieldsList().stream().filter(FieldSchema::getIsPrimaryKey).findFirst()
                .orElseThrow(() -> new IllegalStateException(d.getCollectionName() + " has no primary key"));
        this.primaryField = pk.getName();
        this.stringKeys = pk.getDataType() == io.milvus.grpc.DataType.VarChar;
        this.partitionKey = d.getSchema().getFieldsList().stream().anyMatch(FieldSchema::getIsPartitionKey);
        this.partitions = new ArrayList<>(partitions);
        this.partitions.sort(null);
        this.loadState = loadState;
        this.indexes = indexes;
        List<String> fields = new ArrayList<>();
        for (FieldSchema f : d.getSchema().getFieldsList()) {
            if (f.getIsDynamic() || f.getFieldID() > 0 && f.getFieldID() < 100) {
                continue; // the dynamic field's column shows as enableDynamicField; row id and timestamp are internal
            }
            StringBuilder b = new StringBuilder(f.getName()).append(':').append(f.getDataType());
            if (f.getIsPrimaryKey()) {
                b.append(":pk");
            }
            if (f.getIsPartitionKey()) {
                b.append(":partitionKey");
            }
            if (f.getElementType() != io.milvus.grpc.DataType.None) {
                b.append(":element=").append(f.getElementType());
            }
            f.getTypeParamsList().stream().sorted(Comparator.comparing(KeyValuePair::getKey))
                    .forEach(p -> b.append(':').append(p.getKey()).append('=').append(p.getValue()));
            fields.add(b.toString());
        }
        aspects.put("fields", String.join(", ", fields));
        aspects.put("enableDynamicField", Boolean.toString(d.getSchema().getEnableDynamicField()));
        aspects.put("shards", Integer.toString(d.getShardsNum()));
        aspects.put("consistencyLevel", d.getConsistencyLevel().name());
        Map<String, String> properties = new TreeMap<>();
        for (KeyValuePair p : d.getPropertiesList()) {
            if (!p.getKey().startsWith(TargetMilvusClient.PROPERTY_PREFIX)) {
                properties.put(p.getKey(), p.getValue());
            }
        }
        aspects.put("properties", properties.toString());
        aspects.put("partitions", this.partitions.toString());
        List<String> idx = new ArrayList<>();
        for (IndexDescription i : indexes) {
            Map<String, String> params = new TreeMap<>();
            i.getParamsList().forEach(p -> params.put(p.getKey(), p.getValue()));
            idx.add(i.getIndexName() + " on " + i.getFieldName() + " " + params);
        }
        idx.sort(null);
        aspects.put("indexes", idx.toString());
        aspects.put("loadState", loadState.name());
    }

    /** The shape of a collection, or null when it does not exist. */
    public static CollectionShape of(MilvusQueryClient client, String db, String name) {
        DescribeCollectionResponse d = client.describe(db, name);
        if (d == null) {
            return null;
        }
        return new CollectionShape(d, client.partitions(db, name), client.indexes(db, name), client.loadState(db, name));
    }

    public boolean loaded() {
        return loadState == LoadState.LoadStateLoaded;
    }

    /** "aspect: source X, target Y" for each aspect that differs. */
    public List<String> differences(CollectionShape target) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : aspects.entrySet()) {
            String other = target.aspects.get(e.getKey());
            if (!e.getValue().equals(other)) {
                out.add(e.getKey() + ": source " + e.getValue() + ", target " + other);
            }
        }
        return out;
    }

    /** Whether the rows can be compared: same fields and partitions, and both loaded. */
    public boolean rowsComparable(CollectionShape target) {
        return aspects.get("fields").equals(target.aspects.get("fields"))
                && partitions.equals(target.partitions) && loaded() && target.loaded();
    }
}
