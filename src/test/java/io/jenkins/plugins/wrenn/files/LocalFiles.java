package io.jenkins.plugins.wrenn.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Files of a local directory as the transfer engine takes them, for tests and the benchmark. */
public final class LocalFiles {

    private LocalFiles() {}

    /** The regular files below {@code dir} matching the patterns, in path order. */
    public static List<SourceFile> select(Path dir, String includes, String excludes) throws IOException {
        AntPatterns in = AntPatterns.of(includes);
        AntPatterns out = AntPatterns.of(excludes);
        List<SourceFile> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (in.matches(rel) && !out.matches(rel)) {
                    files.add(source(p, rel));
                }
            }
        }
        return files;
    }

    static SourceFile source(Path p, String rel) throws IOException {
        long size = Files.size(p);
        boolean executable = Files.isExecutable(p);
        return new SourceFile() {
            @Override
            public String relativePath() {
                return rel;
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public boolean executable() {
                return executable;
            }

            @Override
            public InputStream open() throws IOException {
                return Files.newInputStream(p);
            }
        };
    }

    /** Writes into {@code dir}; paths come checked from the engine, so this only writes. */
    public static TargetDirectory target(Path dir) {
        return new TargetDirectory() {
            @Override
            public OutputStream file(String relativePath, boolean executable) throws IOException {
                Path p = dir.resolve(relativePath);
                Files.createDirectories(p.getParent());
                OutputStream out = Files.newOutputStream(p);
                p.toFile().setExecutable(executable, false);
                return out;
            }

            @Override
            public void symlink(String relativePath, String target) throws IOException {
                Path p = dir.resolve(relativePath);
                Files.createDirectories(p.getParent());
                Files.deleteIfExists(p);
                Files.createSymbolicLink(p, Path.of(target));
            }

            @Override
            public void copy(String existing, String relativePath) throws IOException {
                Files.copy(dir.resolve(existing), dir.resolve(relativePath), StandardCopyOption.REPLACE_EXISTING);
            }

            @Override
            public void directory(String relativePath) throws IOException {
                Files.createDirectories(dir.resolve(relativePath));
            }
        };
    }
}
