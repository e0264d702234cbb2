#!/usr/bin/env bash
# Single-node SLURM cluster for tests and local trials of profiles/slurm.
#
#   tools/slurm-cluster.sh start  DIR   # install (if needed) + start munged, slurmctld, slurmd
#   tools/slurm-cluster.sh status DIR   # exit 0 if all three daemons run and the node is usable
#   tools/slurm-cluster.sh stop   DIR   # cancel jobs, stop the daemons started by `start DIR`
#
# `start` prints two lines on stdout,
#   export SLURM_CONF=DIR/slurm.conf
#   export PATH="DIR/bin:$PATH"
# so `eval "$(tools/slurm-cluster.sh start /tmp/lmc-slurm)"` points sbatch/squeue/snakemake
# at the cluster; everything else goes to stderr.
#
# Why DIR/bin: inside a job, snakemake-executor-plugin-slurm-jobstep (0.6.1) removes every
# SLURM_* variable, SLURM_CONF included, before it calls `srun` (upstream issue
# snakemake/snakemake-executor-plugin-slurm#164), so a cluster whose slurm.conf is not in
# /etc/slurm cannot be found from within jobs ("srun: fatal: Could not establish a
# configuration source"). DIR/bin holds wrappers for srun, sbatch, squeue, ... that set
# SLURM_CONF and exec the real command; PATH survives the plugin's clean-up.
#
# Everything the cluster writes (slurm.conf, gres.conf, state, spool, logs, pid files, the
# munge socket) lives under DIR. Nothing is ever written to /etc/slurm: a slurm.conf there
# without a running controller makes every `snakemake` call wait ~9 s (the SLURM executor
# plugin runs `scontrol show config` at start-up). The only files written outside DIR are
# the Debian packages (installed with apt-get if missing) and /etc/munge/munge.key (only
# created if absent).
#
# The node offers two fake GPUs as gres (gres.conf File=/dev/null and File=/dev/zero), so
# `sbatch --gpus=1` is scheduled like on a GPU node and the job sees CUDA_VISIBLE_DEVICES.
#
# Requirements: root, Debian/Ubuntu with apt (slurm-wlm 22.05 on Debian 12), DIR and its
# parents traversable by the `munge` user (munged refuses a socket in an inaccessible dir;
# the script sets DIR itself to mode 711).
#
# Environment knobs:
#   SLURM_CLUSTER_WAIT       seconds to wait for the node to become idle (default 60)
#   SLURM_CLUSTER_PARTITION  partition name (default "main", matches profiles/slurm)
#   SLURM_CLUSTER_GPUS       number of fake GPUs, 1 or 2 (default 2)
set -euo pipefail

PACKAGES=(slurmctld slurmd slurm-client munge)
WAIT_S=${SLURM_CLUSTER_WAIT:-60}
PARTITION=${SLURM_CLUSTER_PARTITION:-main}
NGPUS=${SLURM_CLUSTER_GPUS:-2}

log() { echo "slurm-cluster: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
CMD=$1
DIR=$2
[[ $DIR == /* ]] || DIR="$PWD/$DIR"
DIR=${DIR%/}
CONF="$DIR/slurm.conf"
MUNGE_DIR="$DIR/munge"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket"

# Client commands get a hard time limit: a wrong config can make them retry for minutes.
client() { SLURM_CONF="$CONF" timeout -s KILL 10 "$@"; }

# pid_alive NAME: the pid in DIR/NAME.pid runs and is a process called NAME. Zombies count
# as dead: the daemons fork into the background, and in containers whose PID 1 does not
# reap orphans a killed daemon stays a zombie (state Z) indefinitely.
pid_alive() {
    local name=$1 pidfile="$DIR/$1.pid" pid comm stat
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ $comm == "$name" ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != [ZX] ]]
}

node_state() {
    client sinfo -h -o %T 2>/dev/null | head -1 | tr -d '*~#!%$@^-' || true
}

tail_logs() {
    local f
    for f in "$DIR"/log/*.log "$MUNGE_DIR/munged.log"; do
        [[ -f $f ]] || continue
        log "---- last lines of $f"
        tail -n 15 "$f" >&2 || true
    done
}

ensure_packages() {
    local missing=0 b
    for b in slurmctld slurmd sinfo sbatch squeue munged munge; do
        command -v "$b" >/dev/null 2>&1 || missing=1
    done
    [[ $missing -eq 0 ]] && return 0
    command -v apt-get >/dev/null 2>&1 || die "SLURM/munge are not installed and apt-get is unavailable"
    log "installing ${PACKAGES[*]} (apt-get install --no-install-recommends)"
    # policy-rc.d-less systems may start the packaged munged/slurm services on install;
    # they use /etc paths and the default ports, not ours (see port selection below).
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${PACKAGES[@]}" >"${TMPDIR:-/tmp}/slurm-cluster-apt.log" 2>&1; then
        log "apt-get install failed, running apt-get update once and retrying"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >>"${TMPDIR:-/tmp}/slurm-cluster-apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${PACKAGES[@]}" >>"${TMPDIR:-/tmp}/slurm-cluster-apt.log" 2>&1 \
            || die "apt-get install ${PACKAGES[*]} failed, see ${TMPDIR:-/tmp}/slurm-cluster-apt.log"
    fi
}

ensure_munge_key() {
    id munge >/dev/null 2>&1 || die "user 'munge' does not exist (is the munge package installed?)"
    install -d -o munge -g munge -m 700 /etc/munge
    if [[ ! -e /etc/munge/munge.key ]]; then
        log "creating /etc/munge/munge.key"
        (umask 077; dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none)
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
    fi
}

# A TCP port nobody listens on, starting at $1.
free_port() {
    local p=$1
    while (( p < 65000 )); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"; return 0
        fi
        p=$((p + 1))
    done
    die "no free TCP port found"
}

# Wrappers DIR/bin/<cmd> that pin SLURM_CONF (see the header).
write_wrappers() {
    local cmd real
    mkdir -p "$DIR/bin"
    for cmd in srun sbatch squeue scancel sinfo scontrol sacct salloc; do
        real=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vxF "$DIR/bin" | paste -sd:) command -v "$cmd" || true)
        [[ -n $real ]] || continue
        printf '#!/bin/sh\n# generated by tools/slurm-cluster.sh\nSLURM_CONF=%q exec %q "$@"\n' \
            "$CONF" "$real" >"$DIR/bin/$cmd"
        chmod 755 "$DIR/bin/$cmd"
    done
}

print_env() {
    echo "export SLURM_CONF=$CONF"
    echo "export PATH=\"$DIR/bin:\$PATH\""
}

write_config() {
    local host nodeline ctld_port slurmd_port
    host=$(hostname -s)
    # `slurmd -C` describes this machine: NodeName=<host> CPUs=.. Boards=.. ... RealMemory=..
    nodeline=$(slurmd -C | head -1)
    [[ $nodeline == NodeName=* ]] || die "unexpected 'slurmd -C' output: $nodeline"
    host=${nodeline%% *}; host=${host#NodeName=}
    # Default ports 6817/6818 unless another cluster (a parallel test run) uses them.
    ctld_port=$(free_port 6817)
    slurmd_port=$(free_port $((ctld_port + 1)))
    local gres_files=(/dev/null /dev/zero)
    (( NGPUS >= 1 && NGPUS <= 2 )) || die "SLURM_CLUSTER_GPUS must be 1 or 2"

    cat >"$CONF" <<EOF
# Generated by tools/slurm-cluster.sh for a throw-away single-node test cluster.
ClusterName=lmc-test
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ctld_port}
SlurmdPort=${slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${MUNGE_SOCKET}
StateSaveLocation=${DIR}/state
SlurmdSpoolDir=${DIR}/spool
SlurmctldPidFile=${DIR}/slurmctld.pid
SlurmdPidFile=${DIR}/slurmd.pid
SlurmctldLogFile=${DIR}/log/slurmctld.log
SlurmdLogFile=${DIR}/log/slurmd.log
PlugStackConfig=${DIR}/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# CR_Core: memory is not a consumable (CR_Core_Memory makes jobs without --mem take the node).
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to squeue for 10 min: the snakemake plugin's squeue status
# command needs MinJobAge >= 3x its first status delay (no sacct without accounting).
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
GresTypes=gpu
${nodeline} NodeAddr=127.0.0.1 Gres=gpu:${NGPUS} State=UNKNOWN
PartitionName=${PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    {
        echo "# Two fake GPUs: gres needs device files; /dev/null and /dev/zero are harmless."
        local i
        for ((i = 0; i < NGPUS; i++)); do
            echo "NodeName=${host} Name=gpu File=${gres_files[$i]}"
        done
    } >"$DIR/gres.conf"
    : >"$DIR/plugstack.conf"
}

start_munged() {
    if pid_alive munged; then
        log "munged already running (pid $(<"$DIR/munged.pid"))"
        return 0
    fi
    install -d -o munge -g munge -m 755 "$MUNGE_DIR"
    if ! runuser -u munge -- test -x "$MUNGE_DIR"; then
        die "the munge user cannot reach $MUNGE_DIR; make DIR and its parents world-traversable (chmod o+x)"
    fi
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    runuser -u munge -- munged \
        --socket="$MUNGE_SOCKET" \
        --pid-file="$MUNGE_DIR/munged.pid" \
        --log-file="$MUNGE_DIR/munged.log" \
        --seed-file="$MUNGE_DIR/munged.seed" \
        || { tail_logs; die "munged failed to start"; }
    # munged writes its pid file in its own (munge-owned) dir; mirror it next to the others.
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s $MUNGE_DIR/munged.pid ]] && break
        sleep 0.1
    done
    cp "$MUNGE_DIR/munged.pid" "$DIR/munged.pid"
    munge -S "$MUNGE_SOCKET" -n </dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null \
        || { tail_logs; die "munge credential round trip failed"; }
}

do_start() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (installs packages, starts slurmd/munged)"
    ensure_packages
    if [[ -e /etc/slurm/slurm.conf ]]; then
        log "WARNING: /etc/slurm/slurm.conf exists (not ours); without a controller for it every snakemake call waits ~9 s"
    fi
    if pid_alive slurmctld && pid_alive slurmd && pid_alive munged && [[ -f $CONF ]]; then
        local st; st=$(node_state)
        if [[ $st == idle || $st == mixed || $st == allocated ]]; then
            log "cluster in $DIR already running (node $st)"
            write_wrappers
            print_env
            return 0
        fi
    fi
    # Something is half-running or stale: start from a clean slate (keeps DIR's old logs).
    do_stop quiet

    ensure_munge_key
    mkdir -p "$DIR"
    chmod 711 "$DIR"
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
    chmod 700 "$DIR/state" "$DIR/spool"
    start_munged
    write_config
    write_wrappers

    log "starting slurmctld and slurmd (config $CONF)"
    # -c: ignore any saved state (fresh cluster), -i: ignore errors in reading state.
    slurmctld -c -i -f "$CONF" || { tail_logs; do_stop quiet; die "slurmctld failed to start"; }
    slurmd -f "$CONF" || { tail_logs; do_stop quiet; die "slurmd failed to start"; }

    local t0=$SECONDS st=""
    while (( SECONDS - t0 < WAIT_S )); do
        st=$(node_state)
        if [[ $st == idle ]]; then
            log "node idle after $((SECONDS - t0)) s"
            print_env
            return 0
        fi
        if ! pid_alive slurmctld || ! pid_alive slurmd; then
            sleep 0.5
            pid_alive slurmctld && pid_alive slurmd && continue
            break
        fi
        sleep 0.5
    done
    log "node not idle after ${WAIT_S} s (state: '${st:-none}'; sinfo below)"
    client sinfo -N -l >&2 2>&1 || true
    client scontrol show node >&2 2>&1 || true
    tail_logs
    do_stop quiet
    die "SLURM cluster in $DIR did not come up"
}

# stop_pid NAME: TERM, wait up to 10 s, then KILL the daemon whose pid is in DIR/NAME.pid.
stop_pid() {
    local name=$1 pid i
    if pid_alive "$name"; then
        pid=$(<"$DIR/$name.pid")
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            pid_alive "$name" || break
            sleep 0.1
        done
        if pid_alive "$name"; then
            log "$name did not exit after SIGTERM, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
    fi
    rm -f "$DIR/$name.pid"
}

do_stop() {
    local quiet=${1:-}
    if [[ ! -d $DIR ]]; then
        [[ -n $quiet ]] || log "$DIR does not exist; nothing to stop"
        return 0
    fi
    # Cancel remaining jobs first so that no slurmstepd/job outlives its slurmd.
    if pid_alive slurmctld && [[ -f $CONF ]]; then
        local jobs i
        jobs=$(client squeue -h -o %i 2>/dev/null || true)
        if [[ -n $jobs ]]; then
            log "cancelling jobs: ${jobs//$'\n'/ }"
            # shellcheck disable=SC2086
            client scancel $jobs 2>/dev/null || true
            for ((i = 0; i < 30; i++)); do
                [[ -z $(client squeue -h -t R,CG -o %i 2>/dev/null || true) ]] && break
                sleep 0.5
            done
        fi
    fi
    stop_pid slurmd
    stop_pid slurmctld
    stop_pid munged
    rm -f "$MUNGE_DIR/munged.pid"
    [[ -n $quiet ]] || log "stopped (logs kept in $DIR/log)"
}

do_status() {
    local rc=0 name st
    for name in munged slurmctld slurmd; do
        if pid_alive "$name"; then
            echo "$name: running (pid $(<"$DIR/$name.pid"))"
        else
            echo "$name: not running"; rc=1
        fi
    done
    if [[ $rc -eq 0 ]]; then
        st=$(node_state)
        echo "node: ${st:-unknown}"
        [[ $st == idle || $st == mixed || $st == allocated ]] || rc=1
        print_env
    fi
    return $rc
}

case $CMD in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *) usage ;;
esac
