package io.milvuscdc.job;

import io.milvuscdc.job.config.CdcConfig;
import io.milvuscdc.job.config.ConfigException;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the pipeline refuses at submission. */
class CdcPipelineTest {

    @Test
    void aJobWithoutACheckpointDirectoryIsRefusedAtSubmissionWithTheFix() {
        CdcConfig config = CdcConfig.load(Path.of("../configs/cdc.yaml"));
        config.checkpointDir = null;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        ConfigException e = assertThrows(ConfigException.class, () -> CdcPipeline.build(env, config));
        assertTrue(e.getMessage().contains("'checkpointDir'") && e.getMessage().contains("execution.checkpointing.dir"),
                e.getMessage());
    }

    @Test
    void aCheckpointDirectoryFromTheFlinkConfigurationOrFromCdcYamlIsEnough() {
        CdcConfig config = CdcConfig.load(Path.of("../configs/cdc.yaml"));
        config.checkpointDir = null;
        Configuration flink = new Configuration();
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, "file:///tmp/milvus-cdc-checkpoints");
        assertPassesTheCheckpointCheck(StreamExecutionEnvironment.getExecutionEnvironment(flink), config);

        config.checkpointDir = "file:///tmp/milvus-cdc-checkpoints";
        assertPassesTheCheckpointCheck(StreamExecutionEnvironment.getExecutionEnvironment(new Configuration()), config);
    }

    /** Past the checkpoint check, the next ones need the servers (none here): any of them may stop it, that one may not. */
    private static void assertPassesTheCheckpointCheck(StreamExecutionEnvironment env, CdcConfig config) {
        try {
            CdcPipeline.build(env, config);
        } catch (ConfigException e) {
            assertFalse(e.getMessage().contains("'checkpointDir'"), e.getMessage());
        }
    }
}
