package dev.zerocopy.examples;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** `--name value` command lines: `--help`, and a one-line reason with exit 2 on bad input. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    private Args() {}

    static Args parse(String[] argv, String usage, String... known) {
        Set<String> names = new HashSet<>(Arrays.asList(known));
        Args args = new Args();
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.println("usage: " + usage);
                System.exit(0);
            }
            if (!arg.startsWith("--") || !names.contains(arg.substring(2))) {
                fail("unknown argument " + arg + " (usage: " + usage + ")");
            }
            if (i + 1 >= argv.length) {
                fail(arg + " needs a value");
            }
            args.values.put(arg.substring(2), argv[++i]);
        }
        return args;
    }

    String required(String name) {
        String value = values.get(name);
        if (value == null) {
            fail("--" + name + " is required");
        }
        return value;
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    int intValue(String name, int fallback, int min, int max) {
        String value = values.get(name);
        if (value == null) {
            if (fallback < min) {
                fail("--" + name + " is required");
            }
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                fail("--" + name + " must be between " + min + " and " + max + ", not " + value);
            }
            return n;
        } catch (NumberFormatException e) {
            fail("--" + name + " must be a number, not " + value);
            return 0;
        }
    }

    static void fail(String reason) {
        System.err.println("error: " + reason);
        System.exit(2);
    }
}
