package dev.zerocopy.child;

import dev.zerocopy.ZeroCopy;

/**
 * Run by {@code SealedPackageTest} in a child JVM with the jar and the test classes on the
 * class path: tries to load a class of package {@code dev.zerocopy} that is not in the jar,
 * after ("library-first") or before ("intruder-first") the library, and prints what happened.
 */
public final class SealProbe {
    private SealProbe() {}

    public static void main(String[] args) {
        boolean libraryFirst = args[0].equals("library-first");
        try {
            if (libraryFirst) {
                System.out.println("library available=" + ZeroCopy.isAvailable());
            }
            Class<?> intruder = Class.forName("dev.zerocopy.TestSupport");
            System.out.println("intruder loaded: " + intruder.getName());
            if (!libraryFirst) {
                System.out.println("library available=" + ZeroCopy.isAvailable());
            }
            System.out.println("NOT SEALED");
        } catch (SecurityException | ClassNotFoundException | LinkageError e) {
            System.out.println("refused: " + e);
        }
    }
}
