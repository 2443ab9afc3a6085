package io.milvuscdc.connectors.mq;

import java.util.regex.Pattern;

/**
 * The channel names of a source Milvus, whatever its queue: the DML channels
 * {@code {prefix}-{rootCoordDml}_N} and the replicate channel ({@code {prefix}-replicate-msg}
 * unless named in full).
 */
public final class MilvusChannels {

    public static final String REPLICATE_SUFFIX = "-replicate-msg";

    private String prefix = "by-dev";
    private String dmlChannelName = "rootcoord-dml";
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
