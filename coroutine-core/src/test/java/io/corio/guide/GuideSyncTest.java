package io.corio.guide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every Java block of docs/guide.md that is marked {@code <!-- example: NAME -->} must be
 * the same text as the block of that name in a test of this package, so the guide only
 * shows code that compiles and runs.
 */
class GuideSyncTest {
    private static final Path GUIDE = Path.of("..", "docs", "guide.md");
    private static final Path SOURCES = Path.of("src", "test", "java", "io", "corio", "guide");

    @Test
    void everyGuideExampleIsCompiledAndRun() throws IOException {
        Map<String, String> guide = guideBlocks();
        Map<String, String> code = codeBlocks();
        assertFalse(guide.isEmpty(), "docs/guide.md has no marked examples");
        for (Map.Entry<String, String> e : guide.entrySet()) {
            assertTrue(code.containsKey(e.getKey()), "guide example '" + e.getKey() + "' has no compiled twin");
            assertEquals(code.get(e.getKey()), e.getValue(), "guide example '" + e.getKey() + "' drifted from its test");
        }
    }

    static Map<String, String> guideBlocks() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("<!-- example: ([\\w-]+) -->\\s*```java\\n(.*?)```", Pattern.DOTALL)
                .matcher(Files.readString(GUIDE));
        while (m.find()) {
            out.put(m.group(1), normalize(m.group(2)));
        }
        return out;
    }

    static Map<String, String> codeBlocks() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Pattern p = Pattern.compile("// example: ([\\w-]+)\\n(.*?)\\n\\s*// end", Pattern.DOTALL);
        try (var files = Files.list(SOURCES)) {
            for (Path f : files.toList()) {
                Matcher m = p.matcher(Files.readString(f));
                while (m.find()) {
                    out.put(m.group(1), normalize(m.group(2)));
                }
            }
        }
        return out;
    }

    /** Strips the common indentation and trailing blanks. */
    static String normalize(String block) {
        List<String> lines = block.stripTrailing().lines().toList();
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l.isBlank() ? "" : l.substring(indent).stripTrailing()).append('\n');
        }
        return sb.toString();
    }
}
