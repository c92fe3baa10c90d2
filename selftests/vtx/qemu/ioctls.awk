# SPDX-License-Identifier: GPL-2.0
#
# ioctls.awk - count the ioctls in an `strace -f -e trace=ioctl -o FILE`
# record: one line per request name (as strace decodes it; vtx shares KVM's
# numbers, so the names are KVM's), "COUNT NAME errors=N [ERRNO:N...]",
# most frequent first after `sort -rn`; then one line per distinct
# KVM_CHECK_EXTENSION / KVM_ENABLE_CAP argument and return value. Lines start
# with "I " (ioctl counts) or "C " (capabilities):
# POSIX awk (busybox awk in the test VM, mawk/gawk on a host).
#
#   awk -f ioctls.awk STRACE_FILE | sed -n 's/^I //p' | sort -k1,1nr -k2
function finish(pid, rest,    m, e) {
	# rest is what follows the arguments: ") = 0", ") = -1 EINTR (...)"
	if (!(pid in pend))
		return
	m = pend[pid]
	delete pend[pid]
	if (rest ~ /= -1 E[A-Z0-9]+/) {
		e = rest
		sub(/.*= -1 /, "", e)
		sub(/ .*/, "", e)
		err[m]++
		errs[m, e]++
		if (!((m, e) in seen)) { seen[m, e] = 1; elist[m] = elist[m] " " e }
	} else if (rest ~ /= \?/) {
		err[m]++
		errs[m, "killed"]++
		if (!((m, "killed") in seen)) { seen[m, "killed"] = 1; elist[m] = elist[m] " killed" }
	}
	if (capname[pid] != "") {
		r = rest
		sub(/.*= /, "", r)
		sub(/ .*/, "", r)
		if (rest ~ /\(faked\)/)
			r = r " (faked)"
		capkey = capname[pid] " = " r
		caps[capkey]++
		capname[pid] = ""
	}
}
{
	pid = $1
	if ($0 ~ /<\.\.\. ioctl resumed>/) {
		rest = $0
		sub(/.*<\.\.\. ioctl resumed>/, "", rest)
		finish(pid, rest)
		next
	}
	i = index($0, "ioctl(")
	if (i == 0)
		next
	s = substr($0, i + 6)
	sub(/^[0-9]+, /, "", s)		# the fd
	if (s ~ /^_IOC\(/) {
		name = substr(s, 1, index(s, ")"))
	} else {
		name = s
		sub(/(,|\)| <unfinished).*/, "", name)
		gsub(/ or /, "|", name)
		gsub(/ /, "", name)
	}
	n[name]++
	pend[pid] = name
	capname[pid] = ""
	if (name == "KVM_CHECK_EXTENSION" || name == "KVM_ENABLE_CAP") {
		a = s
		sub(/^[^,]*, /, "", a)
		if (name == "KVM_ENABLE_CAP") {
			sub(/[,}].*/, "", a)
			sub(/^\{/, "", a)
		} else {
			sub(/\).*/, "", a)
			sub(/ <unfinished.*/, "", a)
		}
		capname[pid] = name " " a
	}
	if ($0 ~ /<unfinished \.\.\.>/)
		next
	rest = s
	sub(/.*\) = /, ") = ", rest)
	finish(pid, rest)
}
END {
	for (m in n) {
		line = "I " n[m] " " m " errors=" (err[m] + 0)
		if (elist[m] != "") {
			k = split(elist[m], el, " ")
			for (j = 1; j <= k; j++)
				line = line " " el[j] ":" errs[m, el[j]]
		}
		print line
	}
	for (c in caps)
		print "C " caps[c] " " c
}
