module releasegate/bench/go-baseline

go 1.19
