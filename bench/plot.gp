# SPDX-License-Identifier: GPL-2.0
#
# bench/plot.gp: the ratios of `make bench` as bars, with the targets. Run by bench/report:
#   gnuplot -e "dir='build/bench'; machine='...'; has_progs=1; has_e2e=1" bench/plot.gp
# Reads dir/progs.dat and dir/e2e.dat, each when its has_ flag is 1 (label, ratio, per-round min, max, target; tabs) and
# writes dir/results.png. A bar is green where it meets its target, red where it misses it,
# grey where there is none; the black dash over a bar is its target, the whisker the 95%
# confidence interval of its median (bench/report.awk, ci_median()).

set terminal pngcairo size 1400,(has_progs + has_e2e) * 600 font "sans,10"
set output dir . '/results.png'
set datafile separator "\t"
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set key off
set xtics rotate by 90 right noenhanced
set bmargin 21
set linetype 1 lc rgb "#2e8b57"
set linetype 2 lc rgb "#c0392b"
set linetype 3 lc rgb "#8c8c8c"

set multiplot layout (has_progs + has_e2e),1 title "hairpin bench — " . machine noenhanced

if (has_progs) {
set title "Program cost per packet / null program of the same type (BPF\\_PROG\\_TEST\\_RUN; lower is better)"
set ylabel "× null program"
set yrange [0:*]
plot dir . '/progs.dat' using 0:2:($5 <= 0 ? 3 : ($2 <= $5 ? 1 : 2)):xtic(1) with boxes lc variable, \
	'' using 0:3:(0):($4 - $3) with vectors nohead lc rgb "black", \
	'' using ($0 - 0.4):($5 > 0 ? $5 : 1/0):(0.8):(0) with vectors nohead lc rgb "black" lw 2, \
	'' using 0:2:(sprintf("%.2f", $2)) with labels offset 0,0.8 font ",8"
}

if (has_e2e) {
set title "End to end: packets per CPU-second / the reference of its pair (the floor, or what the label names; higher is better)"
set ylabel "× reference"
set yrange [0:*]
plot dir . '/e2e.dat' using 0:2:($5 <= 0 ? 3 : ($2 >= $5 ? 1 : 2)):xtic(1) with boxes lc variable, \
	'' using 0:3:(0):($4 - $3) with vectors nohead lc rgb "black", \
	'' using ($0 - 0.4):($5 > 0 ? $5 : 1/0):(0.8):(0) with vectors nohead lc rgb "black" lw 2, \
	'' using 0:2:(sprintf("%.2f", $2)) with labels offset 0,0.8 font ",8"
}

unset multiplot
