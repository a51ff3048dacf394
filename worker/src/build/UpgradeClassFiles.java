import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeModel;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites the class files of a jar that are older than Java 6 (major version 50) as Java 8 class
 * files (52) with the stack map frames those need, the bytecode left as it is.
 *
 * <p>Why: LuaJ 3.0.1 is compiled for Java 1.3 (version 47). The JVM cannot keep a class of that
 * age in a class-data archive or AOT cache once it has been linked, nor any class that extends one:
 * every worker start parsed and verified about 180 LuaJ classes and 50 of the worker's own again,
 * with the old type-inferring verifier. Upgraded, they are archived like every other class.
 *
 * <p>Version 52 forbids {@code jsr}/{@code ret}; a class containing them cannot be upgraded and
 * fails the build. A class whose stack maps need classes absent from the jar and the JDK (LuaJ's
 * {@code luajc} compiler refers to BCEL, which the worker never loads) is kept as published and
 * listed. Every upgraded class is checked with the class-file API's verifier before the jar is
 * written. Entries keep their order and times, so the output is as reproducible as the input.
 *
 * <p>Usage, with a JDK of 24 or newer (the class-file API): {@code java UpgradeClassFiles.java JAR...}
 * rewrites each JAR in place; a jar with nothing to upgrade (say, upgraded before) is left untouched.
 */
public final class UpgradeClassFiles {
    private static final int OLDEST_ARCHIVABLE = ClassFile.JAVA_6_VERSION;
    private static final int TARGET = ClassFile.JAVA_8_VERSION;

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: java UpgradeClassFiles.java JAR...");
            System.exit(2);
        }
        for (String arg : args) {
            upgradeJar(Path.of(arg));
        }
    }

    private static void upgradeJar(Path jar) throws IOException {
        Path upgraded = jar.resolveSibling(jar.getFileName() + ".upgraded");
        int count;
        List<String> kept = new ArrayList<>();
        try (URLClassLoader jarClasses = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
                InputStream in = Files.newInputStream(jar);
                OutputStream out = Files.newOutputStream(upgraded)) {
            ClassFile classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                    ClassHierarchyResolver.defaultResolver().orElse(ClassHierarchyResolver.ofResourceParsing(jarClasses))));
            count = rewrite(classFile, new ZipInputStream(in), new ZipOutputStream(out), kept);
        }
        String keptNote = kept.isEmpty() ? "" : "; kept as published: " + String.join(", ", kept);
        if (count == 0) {
            Files.delete(upgraded);
            if (!kept.isEmpty()) {
                System.out.println("UpgradeClassFiles: " + jar.getFileName() + " left as it is" + keptNote);
            }
            return;
        }
        Files.move(upgraded, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("UpgradeClassFiles: " + jar.getFileName() + ": " + count + " class files upgraded to"
                + " version " + TARGET + keptNote);
    }

    /** Copies every entry of {@code in} to {@code out}, old class files upgraded; returns how many were. */
    private static int rewrite(ClassFile classFile, ZipInputStream in, ZipOutputStream out, List<String> kept)
            throws IOException {
        int count = 0;
        for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
            String name = entry.getName();
            if (name.startsWith("META-INF/") && (name.endsWith(".SF") || name.endsWith(".RSA") || name.endsWith(".DSA"))) {
                throw new IllegalStateException("a signed jar cannot be rewritten: " + name);
            }
            byte[] bytes = in.readAllBytes();
            if (name.endsWith(".class")) {
                ClassModel model = classFile.parse(bytes);
                if (model.majorVersion() < OLDEST_ARCHIVABLE) {
                    try {
                        bytes = upgrade(classFile, model);
                        count++;
                    } catch (IllegalArgumentException unresolved) {
                        kept.add(name + " (" + unresolved.getMessage() + ")");
                    }
                }
            }
            ZipEntry copy = new ZipEntry(name);
            copy.setTime(entry.getTime());
            out.putNextEntry(copy);
            out.write(bytes);
            out.closeEntry();
        }
        out.finish();
        return count;
    }

    /**
     * {@code model} as a version-52 class: every method body is rebuilt, which makes the API compute
     * its stack map frames, then checked by the API's verifier.
     */
    private static byte[] upgrade(ClassFile classFile, ClassModel model) {
        boolean subroutines = model.methods().stream().flatMap(method -> method.code().stream())
                .flatMap(CodeModel::elementStream).anyMatch(element -> element instanceof DiscontinuedInstruction);
        if (subroutines) {
            throw new IllegalStateException(model.thisClass().asInternalName() + " uses jsr/ret, which Java 8 class"
                    + " files cannot hold");
        }
        byte[] bytes = classFile.transformClass(model, ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                .andThen((builder, element) -> {
                    if (element instanceof ClassFileVersion) {
                        builder.withVersion(TARGET, 0);
                    } else {
                        builder.with(element);
                    }
                }));
        List<VerifyError> errors = classFile.verify(bytes);
        if (!errors.isEmpty()) {
            throw new IllegalStateException(model.thisClass().asInternalName() + " does not verify once upgraded: "
                    + errors.getFirst().getMessage());
        }
        return bytes;
    }
}
