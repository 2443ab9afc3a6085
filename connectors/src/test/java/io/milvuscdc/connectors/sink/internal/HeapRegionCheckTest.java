package io.milvuscdc.connectors.sink.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeapRegionCheckTest {

    @Test
    void g1WithTheDefaultRegionsOfA2GbTaskManagerIsToldTheOptionThatFixesIt() {
        String advice = HeapRegionCheck.advice(true, 1L << 20).orElseThrow();
        assertTrue(advice.contains("1 MB"), advice);
        assertTrue(advice.contains("env.java.opts.taskmanager: -XX:G1HeapRegionSize=16m"), advice);
    }

    @Test
    void largeEnoughRegionsOrAnotherCollectorNeedNothing() {
        assertEquals(java.util.Optional.empty(), HeapRegionCheck.advice(true, 16L << 20));
        assertEquals(java.util.Optional.empty(), HeapRegionCheck.advice(true, 32L << 20));
        assertEquals(java.util.Optional.empty(), HeapRegionCheck.advice(false, 1L << 20));
    }
}
