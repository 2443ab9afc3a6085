package io.milvuscdc.connectors.mq;

import java.util.regex.Pattern;

/**
 * The channel names of a source Milvus, whatever its queue: the DML channels
 * {@code {prefix}-{rootCoordDml}_N} and the replicate channel ({@code {prefix}-replicate-msg}
 * unless named in full).
 */
public final class MilvusChannels {

    public static final String REPLICATE_SUFFIX = "-replicate-msg";

    /** Milvus's own defaults of msgChannel.chanNamePrefix.cluster and .rootCoordDml. */
    public static final String DEFAULT_PREFIX = "by-dev";
    public static final String DEFAULT_DML_CHANNEL_NAME = "rootcoord-dml";

    private String prefix = DEFAULT_PREFIX;
    private String dmlChannelName = DEFAULT_DML_CHANNEL_NAME;
    private String replicateChannel;

    /** The source's {@code msgChannel.chanNamePrefix.cluster} ({@code by-dev} by default). */
    public void setPrefix(String prefix) {
        this.prefix = prefix;
    }

    /** The source's {@code chanNamePrefix.rootCoordDml} ({@code rootcoord-dml} by default). */
    public void setDmlChannelName(String dmlChannelName) {
        this.dmlChannelName = dmlChannelName;
    }

    /** The replicate channel in full; null for {@code {prefix}-replicate-msg}. */
    public void setReplicateChannel(String replicateChannel) {
        this.replicateChannel = replicateChannel;
    }

    public String replicateChannel() {
        return replicateChannel != null ? replicateChannel : prefix + REPLICATE_SUFFIX;
    }

    /** A regular expression that matches exactly these channel names (a group). */
    public String regex() {
        return "(" + Pattern.quote(prefix + "-" + dmlChannelName + "_") + "\\d+|" + Pattern.quote(replicateChannel()) + ")";
    }
}
