package dev.sttbench.loadgen.conformance;

import dev.sttbench.loadgen.cli.Flags;
import dev.sttbench.loadgen.cli.UsageException;
import dev.sttbench.loadgen.net.Target;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code loadgen conformance --url ws://host:port/ws/stt}: one line per check, exit 1 on any failure. */
public final class ConformanceCommand {
    private ConformanceCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Flags flags = new Flags("conformance", "Black-box checks of PROTOCOL.md §1 and RFC 6455 edges against"
                + " any gateway; prints PASS name / FAIL name: why, exits 1 if any check fails.")
                .required("url", "gateway WebSocket URL, e.g. ws://127.0.0.1:8080/ws/stt")
                .optional("golden", null, "golden-vectors.json to use instead of the copy bundled in the jar");
        Target target;
        List<GoldenVectors.Vector> golden;
        try {
            if (!flags.parse(args)) {
                out.print(flags.usage());
                return 0;
            }
            target = Target.parse(flags.string("url"));
            String goldenPath = flags.string("golden");
            golden = goldenPath == null ? GoldenVectors.bundled() : GoldenVectors.load(Path.of(goldenPath));
        } catch (UsageException e) {
            err.println(e.getMessage());
            return 2;
        } catch (IllegalArgumentException | IOException e) {
            err.println("conformance: " + e.getMessage());
            return 2;
        }
        int failures = 0;
        for (ConformanceChecks.NamedCheck check : new ConformanceChecks(target, golden).all()) {
            try {
                check.check().run();
                out.println("PASS " + check.name());
            } catch (CheckFailure e) {
                failures++;
                out.println("FAIL " + check.name() + ": " + e.getMessage());
            } catch (Exception e) {
                failures++;
                out.println("FAIL " + check.name() + ": " + e);
            }
        }
        out.println(failures == 0 ? "conformance: all checks passed" : "conformance: " + failures + " failed");
        return failures == 0 ? 0 : 1;
    }
}
