package dev.sttbench.loadgen.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tiny {@code --name value} / {@code --name=value} parser: each flag is declared with its default
 * (null = required or optional without default) and a one-line description that {@link #usage} prints.
 */
public final class Flags {
    private record Flag(String name, String defaultValue, boolean required, boolean isSwitch, String description) {
    }

    private final String command;
    private final String summary;
    private final Map<String, Flag> declared = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();

    public Flags(String command, String summary) {
        this.command = command;
        this.summary = summary;
    }

    public Flags required(String name, String description) {
        declared.put(name, new Flag(name, null, true, false, description));
        return this;
    }

    public Flags optional(String name, String defaultValue, String description) {
        declared.put(name, new Flag(name, defaultValue, false, false, description));
        return this;
    }

    /** A flag that takes no value: present means true. */
    public Flags toggle(String name, String description) {
        declared.put(name, new Flag(name, "false", false, true, description));
        return this;
    }

    /** Parses {@code args}; returns false when {@code --help} was asked for (print {@link #usage}). */
    public boolean parse(String[] args) throws UsageException {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                return false;
            }
            if (!arg.startsWith("--")) {
                throw new UsageException(command + ": unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value;
            int equals = name.indexOf('=');
            Flag flag = declared.get(equals >= 0 ? name.substring(0, equals) : name);
            if (flag != null && flag.isSwitch() && equals < 0) {
                value = "true";
            } else if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageException(command + ": --" + name + " needs a value");
            }
            if (!declared.containsKey(name)) {
                throw new UsageException(command + ": unknown flag --" + name + " (see --help)");
            }
            if (values.put(name, value) != null) {
                throw new UsageException(command + ": --" + name + " given twice");
            }
        }
        for (Flag flag : declared.values()) {
            if (flag.required() && !values.containsKey(flag.name())) {
                throw new UsageException(command + ": --" + flag.name() + " is required");
            }
        }
        return true;
    }

    /** The value given, else the default (null for an optional flag without one). */
    public String string(String name) {
        String value = values.get(name);
        return value != null ? value : declared.get(name).defaultValue();
    }

    public long nonNegativeLong(String name) throws UsageException {
        return longAtLeast(name, 0);
    }

    public long positiveLong(String name) throws UsageException {
        return longAtLeast(name, 1);
    }

    public int positiveInt(String name) throws UsageException {
        long value = longAtLeast(name, 1);
        if (value > Integer.MAX_VALUE) {
            throw new UsageException(command + ": --" + name + " is too large: " + value);
        }
        return (int) value;
    }

    private long longAtLeast(String name, long min) throws UsageException {
        String raw = string(name);
        long value;
        try {
            value = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, got '" + raw + "'");
        }
        if (value < min) {
            throw new UsageException(command + ": --" + name + " must be >= " + min + ", got " + value);
        }
        return value;
    }

    public boolean bool(String name) throws UsageException {
        String raw = string(name);
        return switch (raw) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new UsageException(command + ": --" + name + " must be true or false, got '" + raw + "'");
        };
    }

    public String usage() {
        StringBuilder text = new StringBuilder("usage: loadgen ").append(command).append(" [flags]\n")
                .append(summary).append("\n\nflags:\n");
        for (Flag flag : declared.values()) {
            String shown = flag.isSwitch() ? flag.name() : flag.name() + " <v>";
            text.append(String.format("  --%-28s %s", shown, flag.description()));
            if (flag.required()) {
                text.append(" (required)");
            } else if (flag.defaultValue() != null && !flag.isSwitch()) {
                text.append(" (default ").append(flag.defaultValue()).append(')');
            }
            text.append('\n');
        }
        return text.toString();
    }
}
