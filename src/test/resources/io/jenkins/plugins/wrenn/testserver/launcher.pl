# Starts one process of a test capsule the way the capsule's daemon (envd) spawns it, and keeps
# its real wait status, which the JDK cannot give (it reports a death by signal n as 128 + n, the
# same as "exit 128+n"). Core Perl only, no module: it runs for every process the test server starts.
#
# Arguments: the process group of the capsule's daemon, 1 when the process gets a group of its own
# (newer envd: setpgid(0,0)) or 0 when it stays in the daemon's group (v0.1.5), then the command and
# its arguments. The environment and the working directory are whoever starts this launcher's.
#
# The process's standard output and error are two pipes made here, which the test server opens
# through /proc as its own, so that they outlive this launcher, as they outlive the process itself.
# Protocol on this launcher's own standard output: "<pid> <fd of stdout> <fd of stderr>\n", then,
# once the server has said on standard input that it opened them, and the process has been reaped,
# "<raw wait status>\n".
my ($group, $own) = splice(@ARGV, 0, 2);
setpgrp(0, $group) or die "cannot join the daemon's process group $group: $!\n";
pipe(my $out_r, my $out_w) or die "pipe: $!\n";
pipe(my $err_r, my $err_w) or die "pipe: $!\n";
my $pid = fork();
defined $pid or die "fork: $!\n";
if ($pid == 0) {
    setpgrp(0, 0) if $own;
    # No signal stays ignored or caught: the process starts with every default disposition.
    $SIG{$_} = 'DEFAULT' for keys %SIG;
    # Descriptors 0 to 2 only: the pipes' own descriptors are closed on exec (Perl's default above 2).
    open(STDIN, '<', '/dev/null') or die;
    open(STDOUT, '>&', $out_w) or die;
    open(STDERR, '>&', $err_w) or die;
    # envd's own wrapper: the shell execs the command, so the pid reported is the command's.
    exec { '/bin/sh' } '/bin/sh', '-c', 'echo 100 > /proc/$$/oom_score_adj && exec "$@"', '--', @ARGV;
    print STDERR "cannot run /bin/sh: $!\n";
    exit 127;
}
close($out_w);
close($err_w);
syswrite(STDOUT, "$pid " . fileno($out_r) . " " . fileno($err_r) . "\n");
sysread(STDIN, my $opened, 1);
close($out_r);
close($err_r);
waitpid($pid, 0);
syswrite(STDOUT, "$?\n");
