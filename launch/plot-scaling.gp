# gnuplot -e "dat='scaling.dat'; waits='waiting.dat'; png='scaling.png'" launch/plot-scaling.gp
# launch/bench-scaling writes both files: scaling.dat has one row per
# measured run (hosts, link bits/s, predicted, measured median, min, max
# tokens/s); waiting.dat one row per run ("label", then stages 0-2's
# predicted waiting time in us/token, then their measured one; "-" where
# the run has fewer stages).
set terminal pngcairo size 1200,520 font ",10"
set output png
set multiplot layout 1,2 title "swan on testbed hosts (4 ranks, 8-layer d 256 model): cost model against measured"
set logscale x 10
set xrange [5e7:2e10]
set format x "%.0s%cbit/s"
set xlabel "link rate"
set ylabel "tokens/s"
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
set key bottom right
set grid
colors = "#1f77b4 #ff7f0e #2ca02c #d62728"
plot for [h=1:4] dat using ($1 == h ? $2 : 1/0):3 with lines lw 2 lc rgb word(colors, h) \
       title sprintf("%d host%s, predicted", h, h > 1 ? "s" : ""), \
     for [h=1:4] dat using ($1 == h ? $2 * (1 + 0.04 * (h - 2.5)) : 1/0):4:5:6 with yerrorbars \
       pt 7 ps 1 lc rgb word(colors, h) title sprintf("%d host%s, measured (median, min-max)", h, h > 1 ? "s" : "")
unset logscale x
unset format x
set xrange [*:*]
set xlabel ""
set ylabel "waiting time, us/token (solid: predicted, hatched: measured)"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -45
set yrange [0:*]
set key above horizontal
plot for [s=2:4] waits using s:xtic(1) lc rgb word(colors, s - 1) fs solid 0.8 \
       title sprintf("stage %d", s - 2), \
     for [s=5:7] waits using s lc rgb word(colors, s - 4) fs pattern 4 notitle
unset multiplot
