package io.milvuscdc.job.config;

/** A configuration the job cannot run with; the message names the key and the fix. */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String key, String problem, String fix) {
        super("Invalid configuration at '" + key + "': " + problem + ". " + fix);
    }
}
