#!/usr/bin/env bash
# Bring up a throw-away single-node SLURM cluster on this machine (Debian 12, root, no systemd) for the
# integration test: munged, slurmctld and slurmd with one fake GPU, partitions `debug` (default) and
# `gpu`, no accounting (so the workflow must query job states with squeue).  Idempotent.
# Recipe: shared/SLURM.md (variant A).  Stop everything with slurm-down.sh (by pid file).
set -euo pipefail
HOST=$(hostname -s)
NCPU=$(nproc)
MEM=$(( $(free -m | awk '/^Mem:/{print $2}') * 85 / 100 ))
export DEBIAN_FRONTEND=noninteractive

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 755 /run/munge
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
fi
for _ in $(seq 40); do munge -n >/dev/null 2>&1 && break; sleep 0.25; done

install -d -o slurm -g slurm /run/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=${HOST}(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=slurm
SlurmdUser=root
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
ReturnToService=2
MinJobAge=300
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
GresTypes=gpu
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${NCPU} RealMemory=${MEM} Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=${HOST} MaxTime=INFINITE State=UP
CONF
# a fake GPU: gres needs a device file, any existing one will do
echo "NodeName=${HOST} Name=gpu File=/dev/null" > /etc/slurm/gres.conf

[ -s /run/slurm/slurmctld.pid ] && kill -0 "$(cat /run/slurm/slurmctld.pid)" 2>/dev/null || /usr/sbin/slurmctld
[ -s /run/slurm/slurmd.pid ] && kill -0 "$(cat /run/slurm/slurmd.pid)" 2>/dev/null || /usr/sbin/slurmd
for _ in $(seq 60); do
  [ "$(sinfo -h -n "$HOST" -o %t 2>/dev/null | head -1)" = idle ] && break
  sleep 0.5
done
sinfo
