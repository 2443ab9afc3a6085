package io.milvuscdc.job.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What is replicated and under which names: include and exclude patterns over
 * {@code database.collection} ({@code *} matches any run of characters, {@code ?} one), and a
 * mapping of source database and collection names to target names.
 *
 * <p>A collection is replicated when some include pattern matches it and no exclude pattern
 * does. A database operation (create, drop) is replicated when some include pattern could
 * match a collection of it and no exclude pattern covers the whole database ({@code db.*}).
 */
public final class Selection implements Serializable {

    private static final long serialVersionUID = 1L;

    private final List<String> include;
    private final List<String> exclude;
    private final Map<String, String> databases;
    private final Map<String, String> collections;
    private transient List<Pattern[]> includePatterns;
    private transient List<Pattern[]> excludePatterns;

    public Selection(List<String> include, List<String> exclude, Map<String, String> databases,
                     Map<String, String> collections) {
        this.include = new ArrayList<>(include.isEmpty() ? List.of("*.*") : include);
        this.exclude = new ArrayList<>(exclude);
        this.databases = new LinkedHashMap<>(databases);
        this.collections = new LinkedHashMap<>(collections);
        compile();
    }

    /** Everything, under the source's names. */
    public static Selection all() {
        return new Selection(List.of(), List.of(), Map.of(), Map.of());
    }

    /** Checks a {@code database.collection} pattern; names the key that holds it in errors. */
    static void checkPattern(String pattern, String key) {
        if (pattern.indexOf('.') < 0) {
            throw new ConfigException(key, "'" + pattern + "' is not a database.collection pattern",
                    "Write it as database.collection, e.g. default.orders, sales.* or *.*");
        }
    }

    public boolean includesCollection(String database, String collection) {
        return matchesAny(includePatterns, database, collection) && !matchesAny(excludePatterns, database, collection);
    }

    public boolean includesDatabase(String database) {
        boolean included = includePatterns.stream().anyMatch(p -> p[0].matcher(database).matches());
        boolean excludedWhole = excludePatterns.stream()
                .anyMatch(p -> p[0].matcher(database).matches() && p[1].pattern().equals(".*"));
        return included && !excludedWhole;
    }

    public String targetDatabase(String database) {
        return databases.getOrDefault(database, database);
    }

    public String targetCollection(String database, String collection) {
        return collections.getOrDefault(database + "." + collection, collection);
    }

    private static boolean matchesAny(List<Pattern[]> patterns, String database, String collection) {
        for (Pattern[] p : patterns) {
            if (p[0].matcher(database).matches() && p[1].matcher(collection).matches()) {
                return true;
            }
        }
        return false;
    }

    private void compile() {
        includePatterns = compile(include);
        excludePatterns = compile(exclude);
    }

    private static List<Pattern[]> compile(List<String> patterns) {
        List<Pattern[]> compiled = new ArrayList<>();
        for (String pattern : patterns) {
            int dot = pattern.indexOf('.');
            compiled.add(new Pattern[] {glob(pattern.substring(0, dot)), glob(pattern.substring(dot + 1))});
        }
        return compiled;
    }

    private static Pattern glob(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*') {
                regex.append(".*");
            } else if (c == '?') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }

    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
        in.defaultReadObject();
        compile();
    }

    @Override
    public String toString() {
        return "include=" + include + ", exclude=" + exclude + ", databases=" + databases + ", collections=" + collections;
    }
}
