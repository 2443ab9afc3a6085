package io.milvuscdc.job.chaos;

import io.milvuscdc.testutils.MilvusStack;
import io.milvuscdc.testutils.MilvusTables;

import io.milvus.v2.client.MilvusClientV2;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * {@code ReplicaCheck STACK_JSON COLLECTION ROWS [kafka|pulsar]}: the demo's proof. Compares a collection of the
 * default database whose keys are {@code 0..ROWS-1} between the stack's source and target: schema,
 * partitions, index, load state, {@code count(*)}, every field of every row, each key once.
 */
public final class ReplicaCheck {

    public static void main(String[] args) throws Exception {
        MilvusStack stack = MilvusStack.read(Path.of(args[0]));
        String name = args[1];
        long rows = Long.parseLong(args[2]);
        MilvusStack.Milvus from = stack.source(args.length > 3 && args[3].equals("pulsar")
                ? MilvusStack.Queue.PULSAR : MilvusStack.Queue.KAFKA);
        MilvusClientV2 source = MilvusTables.connect(from);
        MilvusClientV2 target = MilvusTables.connect(stack.target());
        try {
            Set<Object> keys = LongStream.range(0, rows).boxed().collect(Collectors.toCollection(HashSet::new));
            Oracle.Result r = new Oracle(source, target).compare(Map.of("default", Set.of(name)), Map.of("default." + name, keys));
            System.out.println("source " + from.uri() + " vs target " + stack.target().uri() + ", default." + name
                    + ": " + r.summary());
            r.schemaDifferences.forEach(d -> System.out.println("  " + d));
            System.out.println(r.equal() ? "EQUAL: the target holds exactly the source's rows" : "DIFFERENT");
            System.exit(r.equal() ? 0 : 1);
        } finally {
            source.close();
            target.close();
        }
    }
}
