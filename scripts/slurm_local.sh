#!/usr/bin/env bash
# Start a single-node SLURM cluster on this machine (localhost): munge, slurmctld and slurmd,
# no accounting database. For trying the workflow's SLURM profile (profiles/slurm/) and for CI.
#
#   sudo scripts/slurm_local.sh          # configure (if needed), start (if needed), wait for idle
#   scripts/slurm_local.sh --status      # sinfo / squeue only
#   sudo scripts/slurm_local.sh --stop   # stop the daemons this script started (by pid file)
#
# Needs Debian's packages: apt-get install -y slurm-wlm munge. Idempotent: a daemon already
# running (its pid file names a live process) is left alone; the config is rewritten only when
# its content changes, and then the running daemons are told to re-read it (scontrol reconfigure).
# Settings come from the machine: node name = `hostname -s`, CPUs = what slurmd detects
# (`slurmd -C`; never `nproc`, which follows OMP_NUM_THREADS: the test suite sets it to 1, and a
# node of 1 CPU never runs the profile's 2-CPU group jobs), memory = 90% of RAM.
# Without accounting, `sacct` has nothing to show: the profile polls jobs with `squeue`, and
# MinJobAge keeps finished jobs visible to squeue for 10 minutes.
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
STATE=/var/spool/slurmctld
SPOOL=/var/spool/slurmd
RUN=/run/slurm-local
LOG=/var/log/slurm-local

die() { echo "slurm_local: $*" >&2; exit 1; }

alive() {  # alive PIDFILE: the pid file names a running process (not a zombie)
    local pid
    [[ -s $1 ]] || return 1
    pid=$(cat "$1")
    kill -0 "$pid" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]
}

status() {
    sinfo -N -o "%N %T %c %m" || true
    squeue || true
}

stop_pids() {  # stop_pids PIDFILE...: end each live daemon and wait until it has gone
    local pidfile pid
    for pidfile in "$@"; do
        if alive "$pidfile"; then
            pid=$(cat "$pidfile")
            kill "$pid" && echo "stopped $(basename "$pidfile" .pid)"
            for _ in $(seq 1 30); do alive "$pidfile" || break; sleep 1; done
        fi
    done
}

stop_daemons() { stop_pids "$RUN/slurmd.pid" "$RUN/slurmctld.pid"; }

stop() { stop_pids "$RUN/slurmd.pid" "$RUN/slurmctld.pid" /run/munge/munged.pid; }

write_conf() {
    local node cpus mem tmp
    node=$(hostname -s)
    cpus=$(slurmd -C 2>/dev/null | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -1)
    [[ -n $cpus ]] || cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
    mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
    tmp=$(mktemp)
    cat >"$tmp" <<CONF
# Written by scripts/slurm_local.sh: a single-node SLURM on localhost, no accounting database.
ClusterName=socialcure-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$STATE
SlurmdSpoolDir=$SPOOL
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=600
InactiveLimit=0
KillWait=30
Waittime=0
SlurmctldTimeout=120
SlurmdTimeout=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
    if [[ -f $CONF ]] && cmp -s "$tmp" "$CONF"; then
        rm -f "$tmp"
        return 1  # unchanged
    fi
    install -m 0644 "$tmp" "$CONF"
    rm -f "$tmp"
    echo "wrote $CONF (node $node, $cpus CPUs, $mem MB)"
    return 0
}

start() {
    [[ $(id -u) -eq 0 ]] || die "run as root (it writes $CONF and starts the daemons)"
    command -v slurmctld >/dev/null && command -v munged >/dev/null ||
        die "SLURM or munge is not installed: apt-get install -y slurm-wlm munge"
    mkdir -p "$CONF_DIR" "$STATE" "$SPOOL" "$RUN" "$LOG"
    if [[ ! -s /etc/munge/munge.key ]]; then
        mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    local changed=0
    write_conf && changed=1

    if ! alive /run/munge/munged.pid; then
        runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
        echo "started munged"
    fi
    munge -n | unmunge >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"

    if [[ $changed -eq 1 ]] && { alive "$RUN/slurmctld.pid" || alive "$RUN/slurmd.pid"; }; then
        # a node's CPUs or memory changed: SLURM reads node definitions only at start
        stop_daemons
    fi
    if ! alive "$RUN/slurmctld.pid"; then
        slurmctld -i  # -i: ignore state from an earlier, differently configured start
        echo "started slurmctld"
    fi
    if ! alive "$RUN/slurmd.pid"; then
        slurmd
        echo "started slurmd"
    fi

    local node
    node=$(hostname -s)
    for _ in $(seq 1 60); do
        state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null || true)
        case $state in
        idle* | mixed* | allocated*) break ;;
        down* | drain*) scontrol update NodeName="$node" State=RESUME 2>/dev/null || true ;;
        esac
        sleep 1
    done
    status
    [[ $state == idle* || $state == mixed* || $state == allocated* ]] ||
        die "node $node is '$state', not idle (see $LOG/slurmd.log, $LOG/slurmctld.log)"
}

case ${1:-start} in
start) start ;;
--status | status) status ;;
--stop | stop) stop ;;
*) die "unknown argument '$1' (start | --status | --stop)" ;;
esac
