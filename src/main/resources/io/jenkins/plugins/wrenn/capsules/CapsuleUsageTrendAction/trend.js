/* global echarts */
// Draws each job page's capsule usage trend once the page is shown; the data comes from the
// action's getTrend(), bound by floatingBox.jelly. Kept in a file so the page needs no inline script.
window.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".wrenn-capsule-usage-trend").forEach((box) => {
    const proxy = window[box.dataset.proxy];
    if (!proxy || typeof echarts === "undefined") {
      return;
    }
    proxy.getTrend((response) => {
      const trend = JSON.parse(response.responseJSON);
      const text = getComputedStyle(document.body).getPropertyValue("--text-color") || "#333";
      const chart = echarts.init(box);
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { textStyle: { color: text } },
        grid: { left: 50, right: 20, top: 30, bottom: 30 },
        xAxis: { type: "category", data: trend.builds, axisLabel: { color: text } },
        yAxis: { type: "value", axisLabel: { color: text } },
        series: [
          { name: box.dataset.vcpuLabel, type: "line", data: trend.vcpuSeconds },
          { name: box.dataset.memoryLabel, type: "line", data: trend.gibSeconds },
        ],
      });
      window.addEventListener("resize", () => chart.resize());
    });
  });
});
