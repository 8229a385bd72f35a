#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for tests/test_experiment_cluster.py (issue 23): Debian's slurm-wlm and
# munge, the short hostname as controller and only node, no accounting. Idempotent: a second call finds it running
# and only waits for the node to be idle. Runs as root on Debian 12.
set -euo pipefail
host="$(hostname -s)"
cpus="${SLURM_TEST_CPUS:-2}"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v pgrep >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge procps >/dev/null
fi
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /etc/munge
conf=/etc/slurm/slurm.conf
want="$(cat <<CONF
# written by crossin's .ci/setup_slurm.sh
ClusterName=crossin-ci
SlurmctldHost=${host}
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
Waittime=0
NodeName=${host} CPUs=${cpus} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
)"
restart=0
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
    printf '%s\n' "$want" > "$conf"
    restart=1
fi
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    restart=1
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged
fi
if [ "$restart" = 1 ]; then
    for daemon in slurmd slurmctld; do
        pid="$(pgrep -x "$daemon" || true)"
        [ -n "$pid" ] && kill "$pid" && sleep 1
    done
fi
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 1 60); do
    state="$(sinfo -h -n "$host" -o '%t' 2>/dev/null || true)"
    case "$state" in
        idle|mix|alloc) echo "slurm: node $host $state"; exit 0 ;;
        down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
    esac
    sleep 1
done
echo "slurm: node $host did not become idle; see /var/log/slurm/" >&2
sinfo >&2 || true
exit 1
