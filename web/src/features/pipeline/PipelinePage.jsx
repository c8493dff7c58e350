// The sales pipeline: the forecast (learnt stage probabilities, open and weighted pipeline, win
// rate, cycle, stale deals) and a board of the open deals by stage. A deal moves by dragging
// its card to another column, or from the keyboard: its stage menu, or Alt+Left/Right on the
// card. Viewers see the board without the moves.
import { lazy, Suspense, useCallback, useState } from 'react';
import { useSelector } from 'react-redux';
import { allowed } from '../auth/authSlice.js';
import { api, problemOf } from '../../services/api.js';
import { useResource } from '../../services/useResource.js';
import { Empty, ErrorBanner, Kpi, Loading, PageHeader } from '../../components/ui.jsx';
import { columnsOf, formatMoney, neighbour, percent, stageLabel } from './pipeline.js';

const ForecastChart = lazy(() => import('./ForecastChart.jsx'));

// The largest deals of each open stage are on the board; the column's totals count them all.
export const perColumn = 50;

async function loadPipeline() {
  const { data: forecast } = await api.get('/pipeline/forecast', { params: { by: 'stage' } });
  const stages = forecast.stage_probabilities.map((s) => s.stage);
  const lists = await Promise.all(
    stages.map((stage) => api.get('/deals', { params: { stage, sort: '-amount', limit: perColumn } }).then((r) => r.data.items)),
  );
  return { forecast, deals: Object.fromEntries(stages.map((s, i) => [s, lists[i]])) };
}

function DealCard({ deal, stages, canMove, onMove }) {
  const keyDown = (e) => {
    if (!canMove || !e.altKey || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return;
    const to = neighbour(stages, deal.stage, e.key === 'ArrowRight' ? 1 : -1);
    if (!to) return;
    e.preventDefault();
    onMove(deal, to);
  };
  return (
    <li>
      <article
        className="deal-card"
        tabIndex={0}
        draggable={canMove}
        onDragStart={(e) => {
          e.dataTransfer.setData('text/plain', deal.id);
          e.dataTransfer.effectAllowed = 'move';
        }}
        onKeyDown={keyDown}
        aria-label={`${deal.name}, ${formatMoney(deal.amount, deal.currency)}`}
        aria-describedby={canMove ? 'deal-move-help' : undefined}
      >
        <span className="deal-name">{deal.name}</span>
        <span className="deal-amount">{formatMoney(deal.amount, deal.currency)}</span>
        <span className="muted small">{[deal.account, deal.owner].filter(Boolean).join(' · ') || 'no account'}</span>
        {canMove && (
          <label className="deal-move">
            <span className="sr-only">Stage of {deal.name}</span>
            <select value={deal.stage} onChange={(e) => onMove(deal, e.target.value)}>
              {stages.map((s) => (
                <option key={s} value={s}>
                  {stageLabel(s)}
                </option>
              ))}
            </select>
          </label>
        )}
      </article>
    </li>
  );
}

// `find` gives the deal of a dragged card's id (a card may come from another column).
function Column({ column, deals, stages, canMove, find, onMove }) {
  const [over, setOver] = useState(false);
  const id = `stage-${column.stage}`;
  return (
    <section
      className={`board-column${column.open ? '' : ' closed'}${over ? ' drop' : ''}`}
      aria-labelledby={id}
      onDragOver={(e) => {
        if (!canMove) return;
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const deal = find(e.dataTransfer.getData('text/plain'));
        if (canMove && deal) onMove(deal, column.stage);
      }}
    >
      <header className="board-head">
        <h3 id={id}>{stageLabel(column.stage)}</h3>
        {column.open ? (
          <span className="muted small">
            {column.count} · {formatMoney(column.amount)} · {percent(column.probability)} win
          </span>
        ) : (
          <span className="muted small">{column.count} closed</span>
        )}
      </header>
      {column.open ? (
        <ul className="board-cards">
          {(deals ?? []).map((d) => (
            <DealCard key={d.id} deal={d} stages={stages} canMove={canMove} onMove={onMove} />
          ))}
          {column.count > (deals?.length ?? 0) && (
            <li className="muted small board-more">and {column.count - deals.length} smaller deals</li>
          )}
        </ul>
      ) : (
        <p className="muted small board-drop-hint">{canMove ? `Drop a deal here to mark it ${column.stage}.` : ''}</p>
      )}
    </section>
  );
}

export default function PipelinePage() {
  const user = useSelector((s) => s.auth.user);
  const canMove = allowed(user, 'manageDeals');
  const { data, problem, loading, reload } = useResource(loadPipeline);
  const [announcement, setAnnouncement] = useState('');
  const [moveError, setMoveError] = useState(null);

  const move = useCallback(
    async (deal, stage) => {
      if (stage === deal.stage) return;
      setMoveError(null);
      try {
        await api.patch(`/deals/${deal.id}`, { stage });
        setAnnouncement(`Moved ${deal.name} to ${stageLabel(stage)}.`);
        await reload();
      } catch (e) {
        setMoveError(`${deal.name} was not moved: ${problemOf(e).message}`);
      }
    },
    [reload],
  );

  const forecast = data?.forecast;
  const columns = columnsOf(forecast);
  const stages = columns.map((c) => c.stage);
  const find = (id) => Object.values(data?.deals ?? {}).flat().find((d) => d.id === id);
  return (
    <>
      <PageHeader title="Pipeline" subtitle="Open deals by stage, and the forecast learnt from the deals already closed." />
      <p className="sr-only" role="status" aria-live="polite">
        {announcement}
      </p>
      <p id="deal-move-help" className="sr-only">
        Move a deal with its stage menu, or with Alt and the left or right arrow key.
      </p>
      <ErrorBanner message={problem?.message} onRetry={reload} title={data ? 'The figures may be out of date.' : null} />
      <ErrorBanner message={moveError} />
      {loading && !data && <Loading what="Loading the pipeline" />}
      {forecast && (
        <>
          <div className="kpis" role="group" aria-label="Pipeline totals">
            <Kpi label="Open pipeline" value={formatMoney(forecast.open.amount, forecast.currency)} hint={`${forecast.open.count} open deals`} />
            <Kpi label="Weighted pipeline" value={formatMoney(forecast.open.weighted, forecast.currency)} hint="at learnt stage probabilities" />
            <Kpi label="Win rate" value={percent(forecast.win_rate)} hint={`${forecast.closed.won} won, ${forecast.closed.lost} lost`} />
            <Kpi
              label="Average cycle"
              value={forecast.average_cycle_days === null ? '—' : `${Math.round(forecast.average_cycle_days)} days`}
              hint="created to won"
            />
            <Kpi label="Stale deals" value={forecast.stale.count} hint={`no stage change for ${forecast.stale.threshold_days}+ days`} />
          </div>
          <Suspense fallback={<Loading what="Loading the chart" />}>
            <ForecastChart forecast={forecast} />
          </Suspense>
          {forecast.open.count === 0 && forecast.closed.won + forecast.closed.lost === 0 ? (
            <Empty title="No deals yet" icon="sparkle">
              Create deals through the API (POST /api/v1/deals): they appear here by stage.
            </Empty>
          ) : (
            <div className="board" aria-label="Deals by stage" role="group">
              {columns.map((c) => (
                <Column
                  key={c.stage}
                  column={c}
                  deals={data.deals[c.stage]}
                  stages={stages}
                  canMove={canMove}
                  find={find}
                  onMove={move}
                />
              ))}
            </div>
          )}
        </>
      )}
    </>
  );
}
