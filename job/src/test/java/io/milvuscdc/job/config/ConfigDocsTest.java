package io.milvuscdc.job.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's configuration table is {@link CdcOptions#markdownTable()}: generated, never edited by hand. */
class ConfigDocsTest {

    private static final String START = "<!-- config-table:start -->\n";
    private static final String END = "<!-- config-table:end -->";

    @Test
    void theReadmeTableIsTheOptions() throws Exception {
        Path readme = Path.of("../README.md");
        String text = Files.readString(readme);
        int start = text.indexOf(START);
        int end = text.indexOf(END);
        assertTrue(start >= 0 && end > start, "README.md has the config-table markers");
        String table = CdcOptions.markdownTable();
        if (Boolean.getBoolean("docs.write")) {
            Files.writeString(readme, text.substring(0, start + START.length()) + table + text.substring(end));
            return;
        }
        assertEquals(table, text.substring(start + START.length(), end),
                "README.md's configuration table differs from CdcOptions: run mvn -pl job test "
                        + "-Dtest=ConfigDocsTest -Ddocs.write=true and commit README.md");
    }

    @Test
    void everyOptionHasADescription() {
        for (var o : CdcOptions.all()) {
            assertTrue(CdcOptions.text(o).length() > 10, o.key() + " has a description");
        }
    }
}
