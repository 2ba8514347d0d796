package dev.sttbench.loadgen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotCommandTest {
    @TempDir
    Path tmp;

    @Test
    void drawsBothChartsOfALadder() throws Exception {
        Path dir = new LadderFixture(tmp).run(250, 1, true).run(500, 1, true).run(500, 2, true)
                .run(1000, 1, false).write();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int rc = PlotCommand.run(new String[] {"--ladder", dir.toString()}, new PrintStream(out), new PrintStream(err));

        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        for (String png : new String[] {PlotCommand.LATENCY_PNG, PlotCommand.GATEWAY_PNG}) {
            Path file = dir.resolve(png);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains(file.toString()));
            BufferedImage image = ImageIO.read(file.toFile());
            assertEquals(900, image.getWidth());
            assertEquals(560, image.getHeight());
            assertTrue(distinctColours(image) > 20, png + " looks blank");
            assertTrue(Files.size(file) > 10_000, png + " is suspiciously small");
        }
    }

    @Test
    void aLadderWithoutResultsIsAnError() throws Exception {
        Path dir = new LadderFixture(tmp).brokenRun(250, 1).write();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int rc = PlotCommand.run(new String[] {"--ladder", dir.toString()}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err));

        assertEquals(1, rc);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no run with results"));
    }

    @Test
    void wrongArgumentsPrintUsage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        assertEquals(2, PlotCommand.run(new String[] {"x"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err)));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("usage: plot --ladder"));
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
