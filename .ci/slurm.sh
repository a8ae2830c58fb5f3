#!/usr/bin/env bash
# A real single-node SLURM cluster on loopback for the SLURM test (tests/test_slurm.py).
#
#   .ci/slurm.sh start   install slurm-wlm and munge, write slurm.conf, start munged,
#                        slurmctld and slurmd, wait until the node is idle and srun works
#   .ci/slurm.sh stop    stop the daemons by their pid files
#
# Everything lives in $IKAROS_SLURM_DIR (default /tmp/ikaros-slurm), its slurm.conf linked
# from /etc/slurm/slurm.conf. No accounting database: sacct
# cannot answer, so the profile asks squeue for job states (profiles/slurm-ci).
set -euo pipefail

STATE="${IKAROS_SLURM_DIR:-/tmp/ikaros-slurm}"
CONF="$STATE/slurm.conf"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

start() {
    export DEBIAN_FRONTEND=noninteractive
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        $SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
    fi
    mkdir -p "$STATE"/{state,spool,log,run}

    # munge: the packages create a key but, in containers, start no daemon
    if [ ! -s /etc/munge/munge.key ]; then
        $SUDO mungekey --create --keyfile /etc/munge/munge.key
    fi
    $SUDO chown munge:munge /etc/munge/munge.key
    $SUDO chmod 0600 /etc/munge/munge.key
    $SUDO mkdir -p /run/munge
    $SUDO chown munge:munge /run/munge
    if ! munge -n >/dev/null 2>&1; then
        if [ -n "$SUDO" ]; then sudo -u munge munged; else runuser -u munge -- munged; fi
        for _ in $(seq 20); do munge -n >/dev/null 2>&1 && break; sleep 0.5; done
    fi

    local host memory
    host="$(hostname -s)"
    # leave 2 GB to the machine itself
    memory="$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')"
    memory=$((memory > 4000 ? memory - 2000 : memory))
    cat >"$CONF" <<EOF
ClusterName=ikaros-ci
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=600
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
NodeName=${host} NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=${memory} State=UNKNOWN
PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
    # srun inside a job reads the default path, not $SLURM_CONF: link it there, never over
    # a configuration that is not ours
    local system=/etc/slurm/slurm.conf
    if [ -e "$system" ] && [ "$(readlink "$system")" != "$CONF" ]; then
        echo "slurm.sh: $system exists and is not this script's; not touching it" >&2
        exit 1
    fi
    $SUDO mkdir -p /etc/slurm
    $SUDO ln -sfn "$CONF" "$system"
    export SLURM_CONF="$CONF"
    $SUDO env SLURM_CONF="$CONF" slurmctld
    $SUDO env SLURM_CONF="$CONF" slurmd
    local state=""
    for _ in $(seq 60); do
        state="$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)"
        case "$state" in
            idle*) break ;;
            down* | drain*) scontrol update nodename="$host" state=resume || true ;;
        esac
        sleep 1
    done
    if [[ "$state" != idle* ]]; then
        echo "slurm.sh: node $host is '$state', not idle, after 60 s; see $STATE/log" >&2
        exit 1
    fi
    srun -N1 -t 1 hostname >/dev/null
    echo "slurm.sh: cluster up (SLURM_CONF=$CONF, node $host, ${memory} MB)"
}

stop() {
    for daemon in slurmd slurmctld; do
        local pidfile="$STATE/run/$daemon.pid"
        if [ -s "$pidfile" ]; then
            $SUDO kill "$(cat "$pidfile")" 2>/dev/null || true
        fi
    done
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
