package io.milvuscdc.job.verify;

import io.milvuscdc.connectors.query.KeyRange;
import io.milvuscdc.job.config.ConfigException;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerifyOptionsTest {

    @Test
    void optionsParseAndBadOnesNameTheOption() {
        VerifyOptions o = VerifyOptions.parse(new String[]{"--config", "cdc.yaml", "--repair", "--report", "r.json",
                "--recheck-after", "2min", "--range-rows", "500"});
        assertEquals(Path.of("cdc.yaml"), o.config);
        assertTrue(o.repair);
        assertEquals(Path.of("r.json"), o.report);
        assertEquals(Duration.ofMinutes(2), o.recheckAfter);
        assertEquals(500, o.rangeRows);
        VerifyOptions defaults = VerifyOptions.parse(new String[]{"--config", "cdc.yaml"});
        assertFalse(defaults.repair);
        assertEquals(Duration.ofSeconds(30), defaults.recheckAfter);
        assertTrue(defaults.report.toString().startsWith("milvus-cdc-verify-"), defaults.report.toString());

        assertTrue(assertThrows(ConfigException.class, () -> VerifyOptions.parse(new String[]{"--repair"}))
                .getMessage().startsWith("Invalid configuration at '--config': missing"));
        assertTrue(assertThrows(ConfigException.class, () -> VerifyOptions.parse(new String[]{"--config", "c",
                "--range-rows", "0"})).getMessage().startsWith("Invalid configuration at '--range-rows'"));
        assertTrue(assertThrows(ConfigException.class, () -> VerifyOptions.parse(new String[]{"--config", "c",
                "--recheck-after", "later"})).getMessage().startsWith("Invalid configuration at '--recheck-after'"));
        assertTrue(assertThrows(ConfigException.class, () -> VerifyOptions.parse(new String[]{"--config", "c",
                "--fix", "yes"})).getMessage().startsWith("Invalid configuration at '--fix': unknown option"));
    }

    @Test
    void keyRangesFilterAsMilvusExpressionsAndOrderKeysAsTheServer() {
        KeyRange ints = new KeyRange("db", "c", "db", "c", null, "id", false, "10", "20");
        assertEquals("id > 10 and id <= 20", ints.filter(null));
        assertEquals("id > 15 and id <= 20", ints.filter("15"));
        assertEquals("(id < 0 or id >= 0)", new KeyRange("db", "c", "db", "c", null, "id", false, null, null).filter(null),
                "a query without a limit needs an expression");
        assertEquals("id in [1,2]", ints.keysFilter(List.of("1", "2")));
        assertTrue(ints.compareKeys("9", "10") < 0, "numbers by value, not text");

        KeyRange strings = new KeyRange("db", "c", "db", "c", "p1", "pk", true, null, "a\"b\\c");
        assertEquals("pk <= \"a\\\"b\\\\c\"", strings.filter(null));
        assertEquals("db.c/p1 keys (-inf, a\"b\\c]", strings.toString());
        // UTF-8 byte order (the server's), not UTF-16's: U+FF5E sorts before U+1F600.
        assertTrue(strings.compareKeys("\uFF5E", "\uD83D\uDE00") < 0);
        assertTrue("\uFF5E".compareTo("\uD83D\uDE00") > 0, "Java's own order would differ");
    }
}
