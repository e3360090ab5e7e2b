# gnuplot -e "swan='swan.tsv'; gpt='gpt.tsv'; out='nll.png'; L=512" launch/plot-nll.gp
# Columns of `swan report`: pos_lo pos_hi docs tokens mean_nll.
set terminal pngcairo size 900,560 font ",11"
set output out
set logscale x 2
set format x "%.0s%c"
set xlabel "token position (log scale)"
set ylabel "mean NLL (nats/token)"
set title "War and Peace, 32 segments each scored from position 0: mean NLL by position"
set key top right
set grid xtics ytics
set arrow from L, graph 0 to L, graph 1 nohead dashtype 2 lc rgb "#666666"
set label sprintf("training length L = %d", L) at L, graph 0.04 offset 1,0
plot swan using (sqrt($1*$2)):5 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "swan-tiny (SWA-RoPE + NoPE)", \
     gpt using (sqrt($1*$2)):5 with linespoints lw 2 pt 5 lc rgb "#d62728" title "gpt-tiny (all global, RoPE)"
