package io.milvuscdc.job;

import io.milvuscdc.job.config.ConfigException;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code flink run milvus-cdc-job.jar --config cdc.yaml -Dkey=value ...}: the settings after the jar. */
class MilvusCdcJobArgsTest {

    @Test
    void dashDSettingsAreTakenOutOfTheArguments() {
        Map<String, String> overrides = new LinkedHashMap<>();
        String[] rest = MilvusCdcJob.overrides(new String[]{"--config", "cdc.yaml", "-Dbatch.maxRows=5000",
                "-D", "targetConfig.token=root:a=b", "--local-web-ui", "8081"}, overrides);
        assertEquals(List.of("--config", "cdc.yaml", "--local-web-ui", "8081"), List.of(rest));
        assertEquals(Map.of("batch.maxRows", "5000", "targetConfig.token", "root:a=b"), overrides);
    }

    @Test
    void aSettingWithoutAValueIsRefusedWithoutEchoingIt() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> MilvusCdcJob.overrides(new String[]{"-DtargetConfig.token"}, new LinkedHashMap<>()));
        assertTrue(e.getMessage().startsWith("Invalid configuration at '-D': expected -Dkey=value"), e.getMessage());
        assertFalse(e.getMessage().contains("targetConfig.token"), e.getMessage());
    }
}
