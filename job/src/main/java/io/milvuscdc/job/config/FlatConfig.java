package io.milvuscdc.job.config;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.FallbackKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * cdc.yaml as Flink configuration entries: each leaf under its path ({@code batch.maxRows}), a
 * list in Flink's {@code a;b} form, a map option's entries under its key as a prefix
 * ({@code mapping.collections.default.orders}); a fallback key (the Go CDC's flat etcd keys) under
 * its option's key. A key no option knows is refused; a key the Go CDC has and this job ignores
 * is logged with the reason and dropped.
 */
final class FlatConfig {

    private static final Logger LOG = LoggerFactory.getLogger(FlatConfig.class);

    /** Option key (or fallback key) to the option's key. */
    private static final Map<String, String> KEYS = new LinkedHashMap<>();
    /** Keys of map options: their entries are the keys below them. */
    private static final Map<String, ConfigOption<?>> MAPS = new LinkedHashMap<>();

    static {
        for (ConfigOption<?> o : CdcOptions.all()) {
            KEYS.put(o.key(), o.key());
            for (FallbackKey k : o.fallbackKeys()) {
                KEYS.put(k.getKey(), o.key());
            }
            if (o.hasDefaultValue() && o.defaultValue() instanceof Map) {
                MAPS.put(o.key(), o);
            }
        }
    }

    private FlatConfig() {}

    static void flatten(JsonNode node, String prefix, Map<String, String> out) {
        node.fields().forEachRemaining(e -> {
            String key = prefix + e.getKey();
            JsonNode value = e.getValue();
            if (ignored(key)) {
                return;
            }
            if (MAPS.containsKey(key)) {
                if (value.isNull()) {
                    return;
                }
                if (!value.isObject()) {
                    throw new ConfigException(key, "expected a section of key: value lines, got "
                            + (value.isArray() ? "a list" : "a single value"), "See configs/cdc.yaml for an example");
                }
                value.fields().forEachRemaining(m -> out.put(key + "." + m.getKey(), m.getValue().asText()));
            } else if (value.isObject()) {
                if (KEYS.keySet().stream().noneMatch(k -> k.startsWith(key + "."))) {
                    checkKnown(key);
                }
                flatten(value, key + ".", out);
            } else if (value.isArray()) {
                StringBuilder list = new StringBuilder();
                value.forEach(v -> list.append(list.length() == 0 ? "" : ";").append(quoted(v.asText())));
                out.put(checkKnown(key), list.toString());
            } else if (!value.isNull()) {
                out.put(checkKnown(key), value.asText());
            }
        });
    }

    /** The option key a setting's key stands for; refused when no option knows it. */
    static String checkKnown(String key) {
        String known = KEYS.get(key);
        if (known != null) {
            return known;
        }
        for (String map : MAPS.keySet()) {
            if (key.startsWith(map + ".")) {
                return key;
            }
        }
        if (ignored(key)) {
            return key;
        }
        String parent = key.contains(".") ? key.substring(0, key.lastIndexOf('.') + 1) : "";
        TreeSet<String> here = new TreeSet<>();
        for (String k : KEYS.keySet()) {
            if (k.startsWith(parent)) {
                String rest = k.substring(parent.length());
                here.add(rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest);
            }
        }
        throw new ConfigException(key, "unknown key", "Known keys here: " + here);
    }

    private static boolean ignored(String key) {
        for (Map.Entry<String, String> e : CdcOptions.IGNORED.entrySet()) {
            if (key.equals(e.getKey())) {
                LOG.warn("{} is ignored: {}", key, e.getValue());
                return true;
            }
            if (key.startsWith(e.getKey() + ".")) {
                return true;
            }
        }
        return false;
    }

    /** Flink's list syntax: an element holding the separator or a quote is quoted, its quotes doubled. */
    private static String quoted(String element) {
        return element.contains(";") || element.contains("'") || element.contains("\"")
                ? "\"" + element.replace("\"", "\"\"") + "\"" : element;
    }
}
