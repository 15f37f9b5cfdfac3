# The process daemon of one test capsule: it starts processes the way the capsule's envd spawns
# them, reaps them, and passes on their raw wait status, which the JDK cannot give (it reports a
# death by signal n as 128 + n, the same as "exit 128+n"). Core Perl only, no module.
#
# It leads a process group of its own: the daemon's group, in which v0.1.5's processes stay.
#
# Requests on standard input, one at a time: a line with a byte count, then that many bytes, fields
# separated by NUL: 1 when the process gets a group of its own (newer envd: setpgid(0,0)) or 0,
# the working directory, the number of environment variables, the variables (NAME=value), the
# command and its arguments. Answer on standard output: "started <pid> <fd> <fd>\n", the
# descriptors (in this daemon) of the read ends of the process's standard output and error, which
# the server opens through /proc as its own, so that they outlive anything here; then the server
# writes a line, and the daemon closes its own read ends. Whenever a process has been reaped:
# "exit <pid> <raw wait status>\n".
setpgrp(0, 0) or die "setpgrp: $!\n";
$SIG{CHLD} = sub {
    # 1 is WNOHANG on Linux; the POSIX module would cost every capsule a few milliseconds.
    while ((my $pid = waitpid(-1, 1)) > 0) {
        syswrite(STDOUT, "exit $pid $?\n");
    }
};
my $in = '';

sub take_line {
    while (index($in, "\n") < 0) {
        my $n = sysread(STDIN, $in, 65536, length $in);
        if (!defined $n) {
            next if $! == 4;    # EINTR: a child was reaped meanwhile
            die "read: $!\n";
        }
        exit 0 if $n == 0;
    }
    my $at = index($in, "\n");
    my $line = substr($in, 0, $at);
    $in = substr($in, $at + 1);
    return $line;
}

sub take_bytes {
    my ($count) = @_;
    while (length $in < $count) {
        my $n = sysread(STDIN, $in, 65536, length $in);
        if (!defined $n) {
            next if $! == 4;
            die "read: $!\n";
        }
        exit 0 if $n == 0;
    }
    my $bytes = substr($in, 0, $count);
    $in = substr($in, $count);
    return $bytes;
}

while (1) {
    my @fields = split(/\0/, take_bytes(take_line()), -1);
    my ($own, $cwd, $count) = splice(@fields, 0, 3);
    my @env = splice(@fields, 0, $count);
    pipe(my $out_r, my $out_w) or die "pipe: $!\n";
    pipe(my $err_r, my $err_w) or die "pipe: $!\n";
    my $pid = fork();
    defined $pid or die "fork: $!\n";
    if ($pid == 0) {
        setpgrp(0, 0) if $own;
        # No signal stays ignored or caught: the process starts with every default disposition.
        $SIG{$_} = 'DEFAULT' for keys %SIG;
        # Descriptors 0 to 2 only: Perl's own descriptors above 2 are closed on exec.
        open(STDIN, '<', '/dev/null') or die;
        open(STDOUT, '>&', $out_w) or die;
        open(STDERR, '>&', $err_w) or die;
        chdir($cwd) or die "chdir $cwd: $!\n";
        %ENV = map { /^([^=]*)=(.*)$/s } @env;
        # envd's own wrapper: the shell execs the command, so the pid reported is the command's.
        exec { '/bin/sh' } '/bin/sh', '-c', 'echo 100 > /proc/$$/oom_score_adj && exec "$@"', '--', @fields;
        print STDERR "cannot run /bin/sh: $!\n";
        exit 127;
    }
    close($out_w);
    close($err_w);
    syswrite(STDOUT, "started $pid " . fileno($out_r) . " " . fileno($err_r) . "\n");
    take_line();
    close($out_r);
    close($err_r);
}
